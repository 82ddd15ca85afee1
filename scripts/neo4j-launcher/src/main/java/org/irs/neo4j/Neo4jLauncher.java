package org.irs.neo4j;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.neo4j.configuration.GraphDatabaseInternalSettings;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.BoltConnectorInternalSettings;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.connectors.HttpsConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.io.ByteUnit;
import org.neo4j.logging.log4j.Log4jLogProvider;

/**
 * Starts a real Neo4j Community DBMS embedded in this JVM, with the Bolt connector
 * on loopback and authentication enabled, so that Neo4j drivers cannot tell it
 * from a Neo4j server. Used by scripts/neo4j.sh for development and CI.
 *
 * <pre>
 * java -jar neo4j-launcher.jar [--home DIR] [--port N] [--password PW]
 *   --home      Neo4j home / data folder (env IRS_NEO4J_DATA, default ./.services/neo4j)
 *   --port      Bolt port on 127.0.0.1   (env IRS_NEO4J_PORT, default 7687)
 *   --password  password of user neo4j   (env IRS_NEO4J_PASSWORD, default irs-dev-password)
 * </pre>
 *
 * Prefer the environment variable for the password: arguments are visible in ps.
 * Prints exactly one line "NEO4J READY bolt://127.0.0.1:PORT" on stdout when the
 * DBMS accepts authenticated Bolt connections; Neo4j's own logs go to DIR/logs.
 * SIGTERM / SIGINT shut the DBMS down cleanly and exit with status 0.
 */
public final class Neo4jLauncher {

    static final String HOST = "127.0.0.1";
    static final String USER = "neo4j";
    static final int MIN_PASSWORD_LENGTH = 8;

    private final Path home;
    private final int port;
    private final String password;
    private final PrintStream log;

    private final CountDownLatch stopRequested = new CountDownLatch(1);
    private final AtomicBoolean stopped = new AtomicBoolean(false);
    private volatile DatabaseManagementService dbms;

    private Neo4jLauncher(Path home, int port, String password, PrintStream log) {
        this.home = home;
        this.port = port;
        this.password = password;
        this.log = log;
    }

    public static void main(String[] args) {
        Map<String, String> opts;
        try {
            opts = parseArgs(args);
        } catch (IllegalArgumentException e) {
            System.err.println("neo4j-launcher: " + e.getMessage());
            System.err.println("usage: java -jar neo4j-launcher.jar [--home DIR] [--port N] [--password PW]");
            System.exit(2);
            return;
        }
        String homeArg = firstNonEmpty(opts.get("home"), System.getenv("IRS_NEO4J_DATA"), "./.services/neo4j");
        String portArg = firstNonEmpty(opts.get("port"), System.getenv("IRS_NEO4J_PORT"), "7687");
        String password = firstNonEmpty(opts.get("password"), System.getenv("IRS_NEO4J_PASSWORD"), "irs-dev-password");

        int port;
        try {
            port = Integer.parseInt(portArg.trim());
            if (port < 1 || port > 65535) {
                throw new NumberFormatException();
            }
        } catch (NumberFormatException e) {
            System.err.println("neo4j-launcher: invalid port: " + portArg);
            System.exit(2);
            return;
        }
        if (password.codePoints().count() < MIN_PASSWORD_LENGTH) {
            System.err.println("neo4j-launcher: the password must have at least " + MIN_PASSWORD_LENGTH
                    + " characters (Neo4j's dbms.security.auth_minimum_password_length)");
            System.exit(2);
            return;
        }

        Path home = Paths.get(homeArg).toAbsolutePath().normalize();
        PrintStream log;
        try {
            Files.createDirectories(home.resolve("logs"));
            OutputStream out = new FileOutputStream(home.resolve("logs").resolve("neo4j.log").toFile(), true);
            log = new PrintStream(out, true, StandardCharsets.UTF_8);
        } catch (IOException e) {
            System.err.println("neo4j-launcher: cannot create " + home + "/logs: " + e);
            System.exit(1);
            return;
        }

        int status = new Neo4jLauncher(home, port, password, log).run();
        System.exit(status);
    }

    private int run() {
        installSignalHandlers();
        // Fallback for exits that do not come through our signal handler
        // (e.g. System.exit from elsewhere): still close the store cleanly.
        Runtime.getRuntime().addShutdownHook(new Thread(this::shutdown, "neo4j-launcher-shutdown"));

        long t0 = System.nanoTime();
        try {
            note("starting Neo4j " + neo4jVersion() + " home=" + home + " bolt=" + HOST + ":" + port);
            if (isFreshStore()) {
                // First start on this folder: create the system database and set the
                // password with no connector open, so the default neo4j/neo4j
                // credentials are never reachable over Bolt.
                note("fresh folder: initialising the system database and the password of user " + USER);
                DatabaseManagementService bootstrap = builder(false).build();
                try {
                    ensurePassword(bootstrap);
                } finally {
                    bootstrap.shutdown();
                }
                rememberPassword();
            }

            dbms = builder(true).build();
            GraphDatabaseService system = dbms.database(GraphDatabaseSettings.SYSTEM_DATABASE_NAME);
            if (!system.isAvailable(TimeUnit.MINUTES.toMillis(2))) {
                throw new IllegalStateException("system database did not become available");
            }
            // A reused folder whose password was set from a different
            // IRS_NEO4J_PASSWORD: apply the new one. Skipped (it costs seconds of
            // Cypher warm-up) when the launcher set this very password before.
            if (!passwordRemembered()) {
                ensurePassword(dbms);
                rememberPassword();
            }
            GraphDatabaseService db = dbms.database(GraphDatabaseSettings.DEFAULT_DATABASE_NAME);
            if (!db.isAvailable(TimeUnit.MINUTES.toMillis(2))) {
                throw new IllegalStateException("database " + db.databaseName() + " did not become available");
            }
        } catch (Throwable e) {
            note("start failed: " + e);
            e.printStackTrace(log);
            System.err.println("neo4j-launcher: start failed: " + e);
            Throwable cause = e.getCause();
            while (cause != null) {
                System.err.println("  caused by: " + cause);
                cause = cause.getCause();
            }
            System.err.println("  (details in " + home.resolve("logs") + ")");
            shutdown();
            return 1;
        }

        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        note("ready after " + ms + " ms");
        System.out.println("NEO4J READY bolt://" + HOST + ":" + port);
        System.out.flush();

        try {
            stopRequested.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        note("stop requested");
        shutdown();
        System.out.println("NEO4J STOPPED");
        System.out.flush();
        return 0;
    }

    private DatabaseManagementServiceBuilder builder(boolean bolt) {
        Map<org.neo4j.graphdb.config.Setting<?>, Object> config = new HashMap<>();
        config.put(BoltConnector.enabled, bolt);
        config.put(BoltConnector.listen_address, new SocketAddress(HOST, port));
        config.put(BoltConnector.advertised_address, new SocketAddress(HOST, port));
        config.put(BoltConnector.encryption_level, BoltConnector.EncryptionLevel.DISABLED);
        config.put(HttpConnector.enabled, false);
        config.put(HttpsConnector.enabled, false);
        config.put(GraphDatabaseSettings.auth_enabled, true);
        config.put(GraphDatabaseSettings.pagecache_memory, ByteUnit.mebiBytes(256));
        // Transaction logs are only needed for recovery here (no backups, no
        // clustering): keep them small so a dev folder does not grow without bound.
        config.put(GraphDatabaseSettings.keep_logical_logs, "128M size");
        // No usage reports (there is no internet here anyway).
        config.put(GraphDatabaseSettings.udc_enabled, false);
        // Bolt is stopped after the databases are checkpointed and closed; its
        // default graceful waits (about 5 s + 5 s) only slow SIGTERM down.
        config.put(GraphDatabaseInternalSettings.netty_server_shutdown_quiet_period, 0);
        config.put(GraphDatabaseInternalSettings.netty_server_shutdown_timeout, Duration.ofSeconds(5));
        config.put(BoltConnectorInternalSettings.connection_shutdown_wait_time, Duration.ofSeconds(1));
        config.put(BoltConnectorInternalSettings.thread_pool_shutdown_wait_time, Duration.ofSeconds(1));
        return new DatabaseManagementServiceBuilder(home)
                .setConfig(config)
                .setUserLogProvider(new Log4jLogProvider(log));
    }

    /** True when this folder has never held a Neo4j system database. */
    private boolean isFreshStore() {
        return !Files.isDirectory(home.resolve("data").resolve("databases").resolve(GraphDatabaseSettings.SYSTEM_DATABASE_NAME));
    }

    /**
     * Makes user neo4j exist with the configured password and no forced change.
     * Community edition supports CREATE/ALTER USER on the system database.
     */
    private void ensurePassword(DatabaseManagementService service) {
        GraphDatabaseService system = service.database(GraphDatabaseSettings.SYSTEM_DATABASE_NAME);
        if (!system.isAvailable(TimeUnit.MINUTES.toMillis(2))) {
            throw new IllegalStateException("system database did not become available");
        }
        Map<String, Object> params = Map.of("password", password);
        system.executeTransactionally(
                "CREATE USER " + USER + " IF NOT EXISTS SET PLAINTEXT PASSWORD $password CHANGE NOT REQUIRED", params);
        try {
            system.executeTransactionally(
                    "ALTER USER " + USER + " SET PLAINTEXT PASSWORD $password CHANGE NOT REQUIRED", params);
            note("password of user " + USER + " set");
        } catch (RuntimeException e) {
            String msg = String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT);
            if (!msg.contains("cannot be the same")) {
                throw e;
            }
            // Same password as stored: only make sure no change is forced.
            system.executeTransactionally("ALTER USER " + USER + " SET PASSWORD CHANGE NOT REQUIRED");
            note("password of user " + USER + " unchanged");
        }
    }

    /**
     * Salted hash of the password this launcher last set, kept beside Neo4j's own
     * auth data, so that restarts with the same password skip ensurePassword.
     * A password changed with Cypher since then is not noticed (and kept).
     */
    private Path passwordMarker() {
        return home.resolve("data").resolve("dbms").resolve("irs-launcher-password");
    }

    private boolean passwordRemembered() {
        try {
            String[] parts = Files.readString(passwordMarker(), StandardCharsets.UTF_8).trim().split(":");
            return parts.length == 3 && parts[0].equals("sha256x10000")
                    && MessageDigest.isEqual(
                            hash(HexFormat.of().parseHex(parts[1])).getBytes(StandardCharsets.US_ASCII),
                            parts[2].getBytes(StandardCharsets.US_ASCII));
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private void rememberPassword() throws IOException {
        byte[] salt = new byte[16];
        new SecureRandom().nextBytes(salt);
        Path marker = passwordMarker();
        Files.createDirectories(marker.getParent());
        Path tmp = marker.resolveSibling(marker.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        try {
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system: default permissions
        }
        Files.writeString(tmp, "sha256x10000:" + HexFormat.of().formatHex(salt) + ":" + hash(salt) + "\n",
                StandardCharsets.UTF_8);
        Files.move(tmp, marker, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private String hash(byte[] salt) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] h = password.getBytes(StandardCharsets.UTF_8);
            for (int i = 0; i < 10000; i++) {
                md.update(salt);
                h = md.digest(h);
            }
            return HexFormat.of().formatHex(h);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private void shutdown() {
        DatabaseManagementService service = dbms;
        if (service == null || !stopped.compareAndSet(false, true)) {
            return;
        }
        long t0 = System.nanoTime();
        note("shutting down");
        try {
            service.shutdown();
            note("shut down cleanly in " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0) + " ms");
        } catch (Throwable e) {
            note("shutdown failed: " + e);
            e.printStackTrace(log);
        }
    }

    /**
     * SIGTERM/SIGINT wake the main thread, which shuts Neo4j down and exits 0.
     * (With only a shutdown hook the JVM would exit with 143 on SIGTERM.)
     */
    private void installSignalHandlers() {
        for (String name : new String[] {"TERM", "INT"}) {
            try {
                sun.misc.Signal.handle(new sun.misc.Signal(name), sig -> stopRequested.countDown());
            } catch (Throwable e) {
                note("cannot handle SIG" + name + " (" + e + "); relying on the shutdown hook");
            }
        }
    }

    private void note(String message) {
        log.println(OffsetDateTime.now() + " [launcher] " + message);
    }

    private static String neo4jVersion() {
        Package p = DatabaseManagementService.class.getPackage();
        String v = p == null ? null : p.getImplementationVersion();
        return v == null ? "(version unknown)" : v;
    }

    private static Map<String, String> parseArgs(String[] args) {
        Map<String, String> opts = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String key;
            String value;
            int eq = a.indexOf('=');
            if (a.startsWith("--") && eq > 0) {
                key = a.substring(2, eq);
                value = a.substring(eq + 1);
            } else if (a.startsWith("--") && i + 1 < args.length) {
                key = a.substring(2);
                value = args[++i];
            } else {
                throw new IllegalArgumentException("unexpected argument: " + a);
            }
            if (!key.equals("home") && !key.equals("port") && !key.equals("password")) {
                throw new IllegalArgumentException("unknown option: --" + key);
            }
            opts.put(key, value);
        }
        return opts;
    }

    private static String firstNonEmpty(String... values) {
        for (String v : values) {
            if (v != null && !v.isEmpty()) {
                return v;
            }
        }
        return null;
    }
}
