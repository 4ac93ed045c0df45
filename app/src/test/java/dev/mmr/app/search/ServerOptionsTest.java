package dev.mmr.app.search;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.mmr.encoder.MatMambaModel;
import dev.mmr.indexer.TestCorpus;
import dev.mmr.search.ServiceLimits;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code serve}'s encode workers and batch: from the encoder device unless given. */
class ServerOptionsTest {

    @Test
    void workersAndBatchComeFromTheDeviceUnlessGiven() throws Exception {
        try (MatMambaModel model = MatMambaModel.load(TestCorpus.goldenTiny())) {
            ServeCommand defaults = new ServeCommand();
            new CommandLine(defaults).parseArgs("--index", "i", "--model", "m");
            ServiceLimits sized = defaults.server.limits(model);
            assertEquals(model.preferredBatch(), sized.maxBatch());
            assertEquals(Math.max(Runtime.getRuntime().availableProcessors(), model.concurrency()), sized.workers());

            ServeCommand given = new ServeCommand();
            new CommandLine(given).parseArgs("--index", "i", "--model", "m", "--batch", "3", "--workers", "5");
            ServiceLimits chosen = given.server.limits(model);
            assertEquals(3, chosen.maxBatch());
            assertEquals(5, chosen.workers());
        }
    }
}
