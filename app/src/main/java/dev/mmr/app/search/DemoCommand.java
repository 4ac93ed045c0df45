package dev.mmr.app.search;

import dev.mmr.app.MmrCommand;
import dev.mmr.app.encoder.EncoderOptions;
import dev.mmr.indexer.StoreAddress;
import dev.mmr.search.DemoCorpus;
import dev.mmr.search.ProjectRoot;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Index the demo corpus if needed, then serve the search page on it until Ctrl-C.",
                "The demo corpus is CIFAR-10's test split (10,000 images of 10 classes), read in place from data/cifar10.tar.xz;"
                        + " the model is models/cifar10 (models/golden-tiny until that one is shipped). The index goes to runs/demo/."})
public final class DemoCommand implements Callable<Integer>, MmrCommand {
    @Mixin
    ServerOptions server;

    @Override
    public Integer call() throws Exception {
        Path root = ProjectRoot.find();
        DemoCorpus.Setup demo = DemoCorpus.prepare(root, System.out);
        server.serve(new EncoderOptions(), demo.model(), new StoreAddress.LocalIndex(demo.index()));
        return 0;
    }
}
