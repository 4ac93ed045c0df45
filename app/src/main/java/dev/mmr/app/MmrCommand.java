package dev.mmr.app;

/**
 * A subcommand of {@code bin/mmr}. Each module lists its commands in
 * {@code META-INF/services/dev.mmr.app.MmrCommand}; {@link Mmr} finds them with {@link java.util.ServiceLoader},
 * so a module adds a command without the launcher knowing it. Implementations are picocli
 * {@code @Command} classes with a public no-argument constructor.
 */
public interface MmrCommand {
}
