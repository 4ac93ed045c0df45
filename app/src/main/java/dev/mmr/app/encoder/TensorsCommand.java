package dev.mmr.app.encoder;

import dev.mmr.app.MmrCommand;
import dev.mmr.encoder.Encoding;
import dev.mmr.encoder.MatMambaModel;
import dev.mmr.encoder.SafeTensors;
import dev.mmr.encoder.SafeTensorsWriter;
import dev.mmr.encoder.Tensor;
import dev.mmr.encoder.Widths;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The parity tool: runs a model on an input tensor at given widths and writes features and logits as the golden files name them. */
@Command(name = "tensors", mixinStandardHelpOptions = true,
        description = {"Encodes the 'input' tensor (B, 3, S, S) of a safetensors file with each requested submodel and writes",
                "features.level<K>, logits.level<K>, features.mix<I>, logits.mix<I> (float32) to --out: the layout of the golden",
                "files, for validating converted checkpoints against a reference implementation."})
public final class TensorsCommand implements Callable<Integer>, MmrCommand {
    @Option(names = "--model", required = true, description = "model directory (config.json + weights)")
    Path model;

    @Option(names = "--input", required = true, description = "safetensors file holding 'input' (B, 3, S, S), preprocessed pixels")
    Path input;

    @Option(names = "--out", required = true, description = "safetensors file to write")
    Path out;

    @Option(names = "--levels", split = ",", description = "uniform levels (default 1,2,4,8 when no --widths is given)")
    List<Integer> levels;

    @Option(names = "--widths", description = "one Mix'n'Match case: a comma-separated width per layer; repeatable, cases numbered mix0, mix1, ...")
    List<String> widths = new ArrayList<>();

    @Mixin
    EncoderOptions encoder;

    @Override public Integer call() throws IOException {
        try (MatMambaModel m = encoder.load(model)) {
            Map<String, Widths> cases = new LinkedHashMap<>();
            List<Integer> uniform = levels != null ? levels : widths.isEmpty() ? List.of(1, 2, 4, 8) : List.of();
            for (int level : uniform) {
                cases.put("level" + level, m.level(level));
            }
            for (int i = 0; i < widths.size(); i++) {
                cases.put("mix" + i, m.widths(parseWidths(widths.get(i))));
            }
            Tensor pixels = inputTensor(m.config().imageSize());
            int batch = (int) pixels.shape()[0];
            Map<String, Tensor> outputs = new LinkedHashMap<>();
            for (Map.Entry<String, Widths> c : cases.entrySet()) {
                Encoding e = m.encode(pixels.data(), batch, c.getValue());
                outputs.put("features." + c.getKey(), new Tensor(new long[] {batch, e.dim()}, e.features()));
                outputs.put("logits." + c.getKey(), new Tensor(new long[] {batch, e.nClasses()}, e.logits()));
                System.out.printf("%-8s %-24s %d images%n", c.getKey(), c.getValue().name(), batch);
            }
            SafeTensorsWriter.write(out, outputs);
            System.out.println("wrote " + outputs.size() + " tensors to " + out);
            return 0;
        }
    }

    private Tensor inputTensor(int imageSize) throws IOException {
        Tensor t = SafeTensors.read(input).get("input");
        if (t == null) {
            throw new IllegalArgumentException(input + ": no tensor named 'input'");
        }
        long[] s = t.shape();
        if (s.length != 4 || s[0] < 1 || s[1] != 3 || s[2] != imageSize || s[3] != imageSize) {
            throw new IllegalArgumentException(input + ": 'input' has shape " + Arrays.toString(s)
                    + ", the model needs (B, 3, " + imageSize + ", " + imageSize + ")");
        }
        return t;
    }

    private static int[] parseWidths(String list) {
        try {
            return Arrays.stream(list.split(",")).map(String::trim).mapToInt(Integer::parseInt).toArray();
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--widths takes comma-separated integers, got '" + list + "'");
        }
    }
}
