package dev.mmr.search;

import dev.mmr.encoder.MatMambaModel;
import dev.mmr.indexer.ImageStore;
import dev.mmr.indexer.StoreAddress;
import dev.mmr.indexer.Stores;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/** Opens the store of a loaded model, serves them, and keeps serving until the process is stopped (Ctrl-C). */
public final class Serving {
    private Serving() {
    }

    /**
     * Serves {@code model} (which it closes when the process stops) over the store at {@code store}; with a
     * {@code writeToken}, the write API is on.
     */
    public static void serveUntilStopped(MatMambaModel model, Path modelDir, StoreAddress store, Path reportsDir, ServiceLimits limits,
                                         String host, int port, String writeToken, PrintStream out) throws IOException, InterruptedException {
        ImageStore index;
        try {
            index = Stores.open(store, model);
        } catch (IOException e) {
            model.close();
            throw e;
        }
        out.println("Measuring each submodel's encode latency...");
        SearchService service = new SearchService(model, index, new Reports(reportsDir), limits);
        ItemWrites writes = writeToken == null || writeToken.isBlank() ? ItemWrites.disabled()
                : new StoreItemWrites(writeToken, store, model, index);
        SearchServer running = SearchServer.start(service, writes, host, port);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            running.close();
            service.close();
            try {
                index.close();
            } catch (IOException ignored) {
                // the process is ending; the store is only read here
            }
            model.close();
            stopped.countDown();
        }));
        out.printf("Serving %d images from the %s with %s%n", index.size(), index.describe(), modelDir);
        for (SearchService.Submodel s : service.submodels()) {
            out.printf("  %-8s %7.3f GFLOP  %7.2f ms per query image (median of the start-up encodes)%n", s.name(), s.gflop(), s.latencyMs());
        }
        out.println(writeToken == null || writeToken.isBlank() ? "Writes are off (start with --write-token or MMR_WRITE_TOKEN to allow POST/DELETE /api/items)."
                : "Writes are on: POST /api/items and DELETE /api/items/{id} with 'Authorization: Bearer <token>'.");
        out.println("Open http://" + (host.equals("0.0.0.0") ? "127.0.0.1" : host) + ":" + running.port() + "/  (Ctrl-C stops)");
        out.flush();
        stopped.await();
    }
}
