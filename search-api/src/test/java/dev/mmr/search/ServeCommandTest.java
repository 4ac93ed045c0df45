package dev.mmr.search;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mmr.encoder.MatMambaModel;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class ServeCommandTest {
    @Test
    void anotherModelsIndexIsAClearMessageWithoutAStackTrace() throws Exception {
        String index;
        try (MatMambaModel tiny = MatMambaModel.load(TestCorpus.model())) {
            index = TestCorpus.index(tiny).toString();
        }
        StringWriter err = new StringWriter();
        CommandLine serve = new CommandLine(new ServeCommand()).setErr(new PrintWriter(err, true));
        int exit = serve.execute("--index", index, "--model", TestCorpus.root().resolve("models/cifar10").toString(), "--port", "0");
        assertEquals(2, exit);
        String text = err.toString();
        assertTrue(text.startsWith("mmr serve: ") && text.contains("fingerprint"), text);
        assertFalse(text.contains("\tat ") || text.contains("Exception"), "no stack trace: " + text);
        assertEquals(1, text.strip().lines().count(), text);
    }
}
