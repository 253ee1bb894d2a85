package dev.scopeflow.sae.stats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.scopeflow.schemas.format.FileFormatException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code scopeflow stats --tokens}: a JSON list of token-id lists, with errors that name the file and entry. */
class ReadTokensTest {

    @TempDir
    Path dir;

    @Test
    void readsListsOfTokenIds() throws Exception {
        Path file = Files.writeString(dir.resolve("tokens.json"), "[[2, 651, 3922], [], [2, 7127]]\n");
        assertThat(StatsRun.readTokens(file))
                .containsExactly(new int[] {2, 651, 3922}, new int[0], new int[] {2, 7127});
    }

    @Test
    void badFilesAreNamed() throws Exception {
        Path broken = Files.writeString(dir.resolve("broken.json"), "[[2, 651");
        assertThatThrownBy(() -> StatsRun.readTokens(broken))
                .isInstanceOf(FileFormatException.class)
                .hasMessageContaining("broken.json: not valid JSON");
        Path trailing = Files.writeString(dir.resolve("trailing.json"), "[[2]] [[3]]");
        assertThatThrownBy(() -> StatsRun.readTokens(trailing)).hasMessageContaining("not valid JSON");
        Path object = Files.writeString(dir.resolve("object.json"), "{\"tokens\": [[2]]}");
        assertThatThrownBy(() -> StatsRun.readTokens(object))
                .hasMessageContaining("object.json")
                .hasMessageContaining("expected a JSON list of token-id lists");
        Path flat = Files.writeString(dir.resolve("flat.json"), "[2, 651]");
        assertThatThrownBy(() -> StatsRun.readTokens(flat)).hasMessageContaining("entry 0 is not a list");
        Path negative = Files.writeString(dir.resolve("negative.json"), "[[2, -1]]");
        assertThatThrownBy(() -> StatsRun.readTokens(negative))
                .hasMessageContaining("entry 0, position 1 is not a token id")
                .hasMessageContaining("-1");
        Path fraction = Files.writeString(dir.resolve("fraction.json"), "[[2, 1.5]]");
        assertThatThrownBy(() -> StatsRun.readTokens(fraction)).hasMessageContaining("position 1");
    }
}
