package dev.mmr.app.search;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mmr.app.CommandErrors;
import dev.mmr.app.Mmr;
import dev.mmr.encoder.MatMambaModel;
import dev.mmr.search.TestCorpus;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code serve} over another model's index: one line naming the fingerprints, the failure exit code, no stack trace. */
class ServeCommandTest {
    @Test
    void anotherModelsIndexIsAClearMessageWithoutAStackTrace() throws Exception {
        String index;
        try (MatMambaModel tiny = MatMambaModel.load(TestCorpus.model())) {
            index = TestCorpus.index(tiny).toString();
        }
        StringWriter err = new StringWriter();
        CommandLine mmr = Mmr.commandLine();
        mmr.getSubcommands().get("serve").setErr(new PrintWriter(err, true));
        int exit = mmr.execute("serve", "--index", index, "--model", TestCorpus.root().resolve("models/cifar10").toString(), "--port", "0");
        assertEquals(CommandErrors.FAILED, exit);
        String text = err.toString();
        assertTrue(text.startsWith("mmr serve: ") && text.contains("fingerprint"), text);
        assertFalse(text.contains("\tat ") || text.contains("Exception"), "no stack trace: " + text);
        assertEquals(1, text.strip().lines().count(), text);
    }
}
