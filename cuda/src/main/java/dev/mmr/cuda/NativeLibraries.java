package dev.mmr.cuda;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** The machine's CUDA libraries this backend binds, and which of them cannot be found (to say why it cannot run). */
final class NativeLibraries {
    /** The driver's library and the CUDA 13 runtime, cuBLAS and NVRTC libraries. */
    static final List<String> REQUIRED = List.of("libcuda.so.1", "libcudart.so.13", "libcublas.so.13", "libcublasLt.so.13",
            "libnvrtc.so.13");
    private static final List<String> SYSTEM_FOLDERS = List.of("/usr/local/cuda/lib64", "/usr/lib/x86_64-linux-gnu",
            "/usr/lib64", "/lib/x86_64-linux-gnu", "/usr/lib", "/lib", "/usr/local/nvidia/lib64");

    private NativeLibraries() {
    }

    /** The required libraries found in none of LD_LIBRARY_PATH, java.library.path and the usual system folders. */
    static List<String> missing() {
        List<String> folders = new ArrayList<>();
        for (String path : new String[] {System.getenv("LD_LIBRARY_PATH"), System.getProperty("java.library.path")}) {
            if (path != null && !path.isBlank()) {
                folders.addAll(List.of(path.split(File.pathSeparator)));
            }
        }
        folders.addAll(SYSTEM_FOLDERS);
        return REQUIRED.stream().filter(lib -> folders.stream().noneMatch(dir -> !dir.isEmpty()
                && Files.exists(Path.of(dir, lib)))).toList();
    }
}
