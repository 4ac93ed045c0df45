package dev.mmr.search;

import dev.mmr.cli.MmrCommand;
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
        Serving.serveUntilStopped(demo.model(), demo.index(), server.reportsDir(), server.limits(), server.host, server.port, server.writeToken, System.out);
        return 0;
    }
}
