package dev.mmr.app.search;

import dev.mmr.app.encoder.EncoderOptions;
import dev.mmr.encoder.MatMambaModel;
import dev.mmr.indexer.StoreAddress;
import dev.mmr.search.ProjectRoot;
import dev.mmr.search.ServiceLimits;
import dev.mmr.search.Serving;
import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The options shared by the commands that start a server: where, which reports, and the service's limits. */
public final class ServerOptions {
    @Option(names = "--port", defaultValue = "8080", description = "TCP port (0 picks a free one). Default: ${DEFAULT-VALUE}.")
    int port;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to listen on. Default: ${DEFAULT-VALUE} (this machine only).")
    String host;

    @Option(names = "--reports", description = "Folder of eval reports (report.json + HTML) to show. Default: reports/ of the project.")
    Path reports;

    @Option(names = "--workers", description = "Threads decoding and encoding query images. Default: the number of cores,"
            + " or the encoder device's concurrency if that is more.")
    Integer workers;

    @Option(names = "--queue", defaultValue = "64", description = "Query images that may wait for a worker; more get 503 queue_full. Default: ${DEFAULT-VALUE}.")
    int queue;

    @Option(names = "--batch", description = "Most waiting query images of one submodel encoded together. Default: the encoder device's"
            + " preferred batch (on the cpu: 127 at 32px, 42 at 224px).")
    Integer batch;

    @Option(names = "--max-body-mb", defaultValue = "8", description = "Largest upload in MiB. Default: ${DEFAULT-VALUE}.")
    int maxBodyMb;

    @Option(names = "--cache-mb", defaultValue = "64", description = "Memory for cached query embeddings in MiB; 0 turns the cache off. Default: ${DEFAULT-VALUE}.")
    int cacheMb;

    @Option(names = "--write-token", defaultValue = "${env:MMR_WRITE_TOKEN}", description = {
            "Turns on the write API (POST /api/items, DELETE /api/items/{id}) for requests bearing this token (8+ characters).",
            "Default: the environment variable MMR_WRITE_TOKEN (which, unlike an option, other users of the machine cannot see); writes are off without one."})
    String writeToken;

    Path reportsDir() {
        return reports != null ? reports : ProjectRoot.find().resolve("reports");
    }

    /** The limits asked for, with workers and batch sized from the model's backend where not given. */
    ServiceLimits limits(MatMambaModel model) {
        ServiceLimits d = ServiceLimits.defaults();
        return new ServiceLimits((long) maxBodyMb << 20, d.maxK(), d.maxEf(), workers == null ? Math.max(d.workers(), model.concurrency()) : workers,
                queue, batch == null ? model.preferredBatch() : batch,
                (long) cacheMb << 20);
    }

    /** Loads the model on the chosen device and serves the store it filled until the process is stopped. */
    void serve(EncoderOptions encoder, Path modelDir, StoreAddress store) throws IOException, InterruptedException {
        MatMambaModel model = encoder.load(modelDir);
        Serving.serveUntilStopped(model, modelDir, store, reportsDir(), limits(model), host, port, writeToken, System.out);
    }
}
