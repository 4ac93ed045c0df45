package dev.mmr.app;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine;

/**
 * How every command fails: one line {@code mmr <command>: <message>} on standard error and an exit code saying
 * whose the fault is. Commands throw; none catches to print. Expected failures (bad input, a missing or unreadable
 * file, a refused index) are {@link IOException}, {@link UncheckedIOException} or {@link IllegalArgumentException};
 * anything else is a bug and also gets its stack trace.
 */
public final class CommandErrors implements IExecutionExceptionHandler, IParameterExceptionHandler {
    /** The command could not do its work: bad input, a file missing or unreadable. Nothing was changed. */
    public static final int FAILED = 1;
    /** The command line itself is wrong: unknown option, missing or malformed value. */
    public static final int USAGE = 2;
    /** An unexpected error inside mmr (a bug); the stack trace follows the message. */
    public static final int INTERNAL = 3;

    /** Installs the handlers on {@code root} and every subcommand already added to it. */
    public static CommandLine install(CommandLine root) {
        CommandErrors errors = new CommandErrors();
        return root.setExecutionExceptionHandler(errors).setParameterExceptionHandler(errors);
    }

    @Override
    public int handleExecutionException(Exception e, CommandLine command, ParseResult parsed) {
        PrintWriter err = command.getErr();
        String prefix = "mmr " + command.getCommandName() + ": ";
        if (e instanceof IOException || e instanceof IllegalArgumentException) {
            err.println(prefix + messageOf(e));
            return FAILED;
        }
        if (e instanceof UncheckedIOException unchecked) {
            err.println(prefix + messageOf(unchecked.getCause()));
            return FAILED;
        }
        err.println(prefix + "internal error: " + e);
        e.printStackTrace(err);
        return INTERNAL;
    }

    @Override
    public int handleParseException(ParameterException e, String[] args) {
        CommandLine command = e.getCommandLine();
        PrintWriter err = command.getErr();
        err.println("mmr " + command.getCommandName() + ": " + e.getMessage());
        CommandLine.UnmatchedArgumentException.printSuggestions(e, err);
        err.println("Try 'mmr " + (command.getParent() == null ? "" : command.getCommandName() + " ") + "--help'.");
        return USAGE;
    }

    private static String messageOf(Throwable e) {
        return e.getMessage() == null ? e.toString() : e.getMessage();
    }
}
