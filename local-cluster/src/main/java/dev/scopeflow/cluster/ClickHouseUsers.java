package dev.scopeflow.cluster;

import dev.scopeflow.schemas.clickhouse.ClickHouseLogin;
import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Properties;
import java.util.Set;

/**
 * The two users of a local ClickHouse server: a writer (the job, migrations, the demo) and a reader whose
 * profile is read-only ({@code query}, the dashboard). Their passwords are generated once into
 * {@code credentials.properties} in the server's directory, readable by its owner only, and reused on every
 * restart; users.xml holds only their SHA-256. There is no {@code default} user, so a request without
 * credentials, such as a web page's cross-origin POST to 127.0.0.1, is refused.
 */
public final class ClickHouseUsers {

    public static final String WRITER = "scopeflow_writer";
    public static final String READER = "scopeflow_reader";
    static final String FILE = "credentials.properties";
    static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

    private final ClickHouseLogin writer;
    private final ClickHouseLogin reader;

    private ClickHouseUsers(ClickHouseLogin writer, ClickHouseLogin reader) {
        this.writer = writer;
        this.reader = reader;
    }

    /** The users of the server in {@code clickHouseDir}: read from its credentials file, or generated into it. */
    public static ClickHouseUsers loadOrCreate(Path clickHouseDir) {
        Path file = clickHouseDir.resolve(FILE);
        if (!Files.exists(file)) {
            try {
                Files.createDirectories(clickHouseDir);
                writeOwnerOnly(file, format(generatePassword(), generatePassword()), false);
            } catch (FileAlreadyExistsException racingStart) {
                // Another process generated them first; read theirs.
            } catch (IOException e) {
                throw new UncheckedIOException("Could not create the ClickHouse credentials file " + file, e);
            }
        }
        return load(file);
    }

    /** The users recorded in {@code clickHouseDir} by an earlier start (e.g. of {@code services start}). */
    public static ClickHouseUsers load(Path clickHouseDirOrFile) {
        Path file = clickHouseDirOrFile.endsWith(FILE) ? clickHouseDirOrFile : clickHouseDirOrFile.resolve(FILE);
        Properties properties = new Properties();
        try {
            // Someone may have widened the permissions: the file holds passwords, so narrow them again.
            Files.setPosixFilePermissions(file, OWNER_ONLY);
            properties.load(new StringReader(Files.readString(file, StandardCharsets.UTF_8)));
        } catch (IOException e) {
            throw new UncheckedIOException("Could not read the ClickHouse credentials file " + file, e);
        }
        String writerPassword = properties.getProperty(WRITER);
        String readerPassword = properties.getProperty(READER);
        if (writerPassword == null || writerPassword.isEmpty() || readerPassword == null || readerPassword.isEmpty()) {
            throw new IllegalStateException("ClickHouse credentials file " + file + " lacks the password of " + WRITER
                    + " or " + READER + "; delete it to generate new ones");
        }
        return new ClickHouseUsers(
                new ClickHouseLogin(WRITER, writerPassword), new ClickHouseLogin(READER, readerPassword));
    }

    /** May create tables, insert and drop: for migrations and the job. */
    public ClickHouseLogin writer() {
        return writer;
    }

    /** Read-only ({@code readonly=2}: reads, and settings changes other than {@code readonly} itself). */
    public ClickHouseLogin reader() {
        return reader;
    }

    static String sha256Hex(String password) {
        try {
            return HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(password.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    static void writeOwnerOnly(Path file, String text, boolean replace) throws IOException {
        if (replace) {
            Files.deleteIfExists(file);
        }
        // Created with owner-only permissions, so the secret is never readable by others, not even briefly.
        Files.createFile(file, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
        Files.writeString(file, text, StandardCharsets.UTF_8, StandardOpenOption.TRUNCATE_EXISTING);
    }

    private static String format(String writerPassword, String readerPassword) {
        return "# Generated by ScopeFlow once; the passwords of this ClickHouse server's users. Keep it private.\n"
                + WRITER + "=" + writerPassword + "\n" + READER + "=" + readerPassword + "\n";
    }

    private static String generatePassword() {
        byte[] bytes = new byte[24];
        new SecureRandom().nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    @Override
    public String toString() {
        return "ClickHouseUsers{" + writer + ", " + reader + "}";
    }
}
