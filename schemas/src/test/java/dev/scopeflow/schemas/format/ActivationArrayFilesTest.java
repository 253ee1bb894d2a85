package dev.scopeflow.schemas.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The capture layout as {@code stats} and {@code publish} read it: which positions are real, and errors that name
 * the file and what is wrong. Fixtures are written by numpy (activation_arrays.py), in the dtypes numpy users have.
 */
class ActivationArrayFilesTest {

    @TempDir
    Path dir;

    @Test
    void readsListsOfTokenIds() throws Exception {
        Path file = Files.writeString(dir.resolve("tokens.json"), "[[2, 651, 3922], [], [2, 7127]]\n");
        assertThat(ActivationArrayFiles.readTokens(file))
                .containsExactly(new int[] {2, 651, 3922}, new int[0], new int[] {2, 7127});
    }

    @Test
    void badFilesAreNamed() throws Exception {
        Path broken = Files.writeString(dir.resolve("broken.json"), "[[2, 651");
        assertThatThrownBy(() -> ActivationArrayFiles.readTokens(broken))
                .isInstanceOf(FileFormatException.class)
                .hasMessageContaining("broken.json: not valid JSON");
        Path trailing = Files.writeString(dir.resolve("trailing.json"), "[[2]] [[3]]");
        assertThatThrownBy(() -> ActivationArrayFiles.readTokens(trailing)).hasMessageContaining("not valid JSON");
        Path object = Files.writeString(dir.resolve("object.json"), "{\"tokens\": [[2]]}");
        assertThatThrownBy(() -> ActivationArrayFiles.readTokens(object))
                .hasMessageContaining("object.json")
                .hasMessageContaining("expected a JSON list of token-id lists");
        Path flat = Files.writeString(dir.resolve("flat.json"), "[2, 651]");
        assertThatThrownBy(() -> ActivationArrayFiles.readTokens(flat)).hasMessageContaining("entry 0 is not a list");
        Path negative = Files.writeString(dir.resolve("negative.json"), "[[2, -1]]");
        assertThatThrownBy(() -> ActivationArrayFiles.readTokens(negative))
                .hasMessageContaining("entry 0, position 1 is not a token id")
                .hasMessageContaining("-1");
        Path fraction = Files.writeString(dir.resolve("fraction.json"), "[[2, 1.5]]");
        assertThatThrownBy(() -> ActivationArrayFiles.readTokens(fraction)).hasMessageContaining("position 1");
    }

    @Test
    void aPositionIsRealWhereTheMaskIsOneAndInsideItsTokenList() throws Exception {
        Path files = numpyFiles();
        ActivationArrayFiles both = ActivationArrayFiles.read(
                files.resolve("acts.npy"), files.resolve("mask_bool.npy"), files.resolve("tokens.json"));
        assertThat(both.sequences()).isEqualTo(3);
        assertThat(both.seqLen()).isEqualTo(5);
        assertThat(both.width()).isEqualTo(4);
        assertThat(both.values()[(2 * 5 + 1) * 4 + 3]).isEqualTo((2 * 5 + 1) * 4 + 3); // np.arange in C order
        // mask lengths 5, 3, 0 and token lengths 5, 2, 4: real where both say so
        assertThat(realPositions(both)).containsExactly("0:0", "0:1", "0:2", "0:3", "0:4", "1:0", "1:1");
        assertThat(both.realPositions()).isEqualTo(7);
        assertThat(both.tokens(1)).containsExactly(2, 20);

        ActivationArrayFiles maskOnly =
                ActivationArrayFiles.read(files.resolve("half.npy"), files.resolve("mask_i32.npy"), null);
        assertThat(realPositions(maskOnly)).containsExactly("0:0", "0:1", "0:2", "0:3", "0:4", "1:0", "1:1", "1:2");
        assertThat(maskOnly.hasTokens()).isFalse();

        ActivationArrayFiles neither = ActivationArrayFiles.read(files.resolve("acts.npy"), null, null);
        assertThat(neither.realPositions()).isEqualTo(15);
    }

    @Test
    void mismatchesNameTheFileAndWhatIsWrong() throws Exception {
        Path files = numpyFiles();
        Path acts = files.resolve("acts.npy");
        assertThatThrownBy(() -> ActivationArrayFiles.read(files.resolve("flat.npy"), null, null))
                .isInstanceOf(FileFormatException.class)
                .hasMessage(files.resolve("flat.npy") + ": activations have shape [15, 4], expected [n_seq, seq_len, d]"
                        + " with d > 0");
        assertThatThrownBy(() -> ActivationArrayFiles.read(acts, files.resolve("mask_t.npy"), null))
                .hasMessage(files.resolve("mask_t.npy") + ": mask has shape [5, 3], expected [n_seq 3, seq_len 5] of "
                        + acts);
        assertThatThrownBy(() -> ActivationArrayFiles.read(acts, files.resolve("mask_2.npy"), null))
                .hasMessage(files.resolve("mask_2.npy") + ": mask holds 2.0 at sequence 1, position 4; expected 0 "
                        + "(leave out) or 1 (a real token)");
        Path twoLists = Files.writeString(dir.resolve("two.json"), "[[2], [2]]");
        assertThatThrownBy(() -> ActivationArrayFiles.read(acts, null, twoLists))
                .hasMessage(twoLists + ": 2 token lists, but " + acts + " has 3 sequences");
        Path tooLong = Files.writeString(dir.resolve("long.json"), "[[2], [2, 3, 4, 5, 6, 7], [2]]");
        assertThatThrownBy(() -> ActivationArrayFiles.read(acts, null, tooLong))
                .hasMessage(tooLong + ": sequence 1 has 6 tokens, more than seq_len 5 of " + acts);
    }

    private Path numpyFiles() throws Exception {
        return PythonFixtures.run(getClass().getResource("activation_arrays.py"), dir.resolve("np"), "files");
    }

    private static List<String> realPositions(ActivationArrayFiles files) {
        List<String> real = new ArrayList<>();
        for (int s = 0; s < files.sequences(); s++) {
            for (int p = 0; p < files.seqLen(); p++) {
                if (files.isReal(s, p)) {
                    real.add(s + ":" + p);
                }
            }
        }
        return real;
    }
}
