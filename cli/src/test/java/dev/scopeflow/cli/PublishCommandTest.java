package dev.scopeflow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scopeflow.schemas.format.NpyWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code publish} and {@code run} refuse bad input with one line naming the file and what is wrong, before any
 * service is contacted or started: the services given are addresses where nothing listens, and the work dir stays
 * empty (a start would create kafka/ and clickhouse/ in it).
 */
class PublishCommandTest {

    @TempDir
    Path dir;

    @Test
    void shapeMaskAndTokenMismatchesNameTheFile() throws Exception {
        Path acts = dir.resolve("res.3.npy");
        NpyWriter.writeFloat32(acts, new float[2 * 4 * 3], 2, 4, 3);
        Path flat = dir.resolve("flat.npy");
        NpyWriter.writeFloat32(flat, new float[8 * 3], 8, 3);
        Path mask = dir.resolve("attention_mask.npy");
        NpyWriter.writeFloat32(mask, new float[4 * 2], 4, 2);
        Path threeLists = Files.writeString(dir.resolve("three.json"), "[[2], [2], [2]]");
        Path tooLong = Files.writeString(dir.resolve("long.json"), "[[2, 5], [2, 5, 6, 7, 8]]");

        assertRefused(
                List.of("--activations", flat.toString()),
                flat + ": activations have shape [8, 3], expected " + "[n_seq, seq_len, d] with d > 0");
        assertRefused(
                List.of("--activations", acts.toString(), "--mask", mask.toString()),
                mask + ": mask has shape [4, 2], expected [n_seq 2, seq_len 4] of " + acts);
        assertRefused(
                List.of("--activations", acts.toString(), "--tokens", threeLists.toString()),
                threeLists + ": 3 token lists, but " + acts + " has 2 sequences");
        assertRefused(
                List.of("--activations", acts.toString(), "--tokens", tooLong.toString()),
                tooLong + ": sequence 1 has 5 tokens, more than seq_len 4 of " + acts);
        assertRefused(
                List.of("--activations", dir.resolve("missing.npy").toString()),
                dir.resolve("missing.npy").toString());
        assertRefused(List.of("--activations", acts.toString(), "--dtype", "f16"), "f16");
    }

    /**
     * {@code run} takes its activations from an array or from a corpus through a checkpoint, never both, and refuses
     * a half-given input or a checkpoint that does not load before starting anything.
     */
    @Test
    void runTakesExactlyOneInputAndChecksTheCheckpointFirst() throws Exception {
        Path acts = dir.resolve("res.3.npy");
        NpyWriter.writeFloat32(acts, new float[2 * 4 * 3], 2, 4, 3);
        Path corpus = Files.writeString(dir.resolve("corpus.txt"), "paris\n");
        Path noModel = dir.resolve("no-model");
        List<String> model = List.of("--model", noModel.toString(), "--corpus", corpus.toString(), "--sites", "res.3");

        List<String> both = new ArrayList<>(List.of("--activations", acts.toString(), "--site", "res.3"));
        both.addAll(model);
        assertRunRefused(both, 2, "mutually exclusive");
        assertRunRefused(List.of("--model", noModel.toString(), "--sites", "res.3"), 2, "--corpus");
        assertRunRefused(List.of(), 2, "Missing required argument");
        assertRunRefused(model, 1, noModel + ": no config.json");
        List<String> appended = new ArrayList<>(model);
        appended.add("--append");
        assertRunRefused(appended, 1, "--append adds an activation array to a run");
    }

    private void assertRunRefused(List<String> input, int exit, String message) {
        List<String> args =
                new ArrayList<>(List.of("run", "--run-id", "r", "--sae", "s=res.3=" + dir.resolve("x.npz")));
        args.addAll(List.of("--kafka", "127.0.0.1:1", "--clickhouse", "http://127.0.0.1:1"));
        args.addAll(List.of("--work-dir", dir.resolve("work").toString()));
        args.addAll(input);
        CommandRun.Output out = CommandRun.execute(args.toArray(String[]::new));
        assertThat(out.exit()).as("run " + input + ": " + out.err()).isEqualTo(exit);
        assertThat(out.err()).as("run " + input).contains(message);
        assertThat(dir.resolve("work")).as("nothing started").doesNotExist();
    }

    private void assertRefused(List<String> input, String message) {
        for (String command : List.of("publish", "run")) {
            List<String> args = new ArrayList<>(List.of(command, "--site", "res.3", "--run-id", "r"));
            if (command.equals("run")) {
                args.addAll(List.of("--sae", "s=res.3=" + dir.resolve("nowhere.npz")));
            }
            args.addAll(List.of("--kafka", "127.0.0.1:1", "--clickhouse", "http://127.0.0.1:1"));
            args.addAll(List.of("--work-dir", dir.resolve("work").toString()));
            args.addAll(input);
            CommandRun.Output out = CommandRun.execute(args.toArray(String[]::new));
            assertThat(out.exit()).as(command + " " + input).isEqualTo(1);
            assertThat(out.err()).as(command).startsWith("scopeflow: ").contains(message);
            assertThat(dir.resolve("work")).as("nothing started").doesNotExist();
        }
    }
}
