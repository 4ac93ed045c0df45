package dev.mmr.app;

import java.util.Comparator;
import java.util.ServiceLoader;
import picocli.CommandLine.Command;
import picocli.CommandLine;

/** The {@code mmr} launcher: one entry point whose subcommands come from every module on the classpath. */
@Command(name = "mmr", mixinStandardHelpOptions = true, version = "mmr 0.1.0",
        description = "Adaptive image retrieval with MatMamba-Vision: index once at full width, query with any nested submodel.",
        subcommands = CommandLine.HelpCommand.class)
public final class Mmr implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override public void run() {
        spec.commandLine().usage(System.out);
    }

    public static CommandLine commandLine() {
        CommandLine root = new CommandLine(new Mmr());
        ServiceLoader.load(MmrCommand.class).stream()
                .map(ServiceLoader.Provider::get)
                .sorted(Comparator.comparing(c -> new CommandLine(c).getCommandName()))
                .forEach(c -> root.addSubcommand(new CommandLine(c)));
        return CommandErrors.install(root);
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }
}
