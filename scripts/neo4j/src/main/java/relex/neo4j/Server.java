package relex.neo4j;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.CountDownLatch;

import org.neo4j.cli.ExecutionContext;
import org.neo4j.commandline.admin.security.SetInitialPasswordCommand;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.io.ByteUnit;
import picocli.CommandLine;

/**
 * A Neo4j community DBMS for local use: Bolt on 127.0.0.1 only, authentication on, APOC core
 * loaded from the plugin folder with its procedures unrestricted, small page cache, no usage
 * reports.
 *
 * <p>Arguments: the DBMS home folder, the Bolt port, the file holding the password of the
 * "neo4j" user (set once, before the first start, as neo4j-admin's set-initial-password does),
 * the plugin folder. The system property relex.neo4j.pagecache sizes the page cache (default
 * 256m). Once the DBMS is up it writes "ready" into the home folder; it shuts down
 * cleanly on SIGTERM.
 */
public final class Server {
    private Server() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 4) {
            System.err.println("usage: Server HOME BOLT_PORT PASSWORD_FILE PLUGIN_DIR");
            System.exit(2);
        }
        Path home = Path.of(args[0]).toAbsolutePath();
        int port = Integer.parseInt(args[1]);
        Path passwordFile = Path.of(args[2]);
        Path plugins = Path.of(args[3]).toAbsolutePath();
        String pageCache = System.getProperty("relex.neo4j.pagecache", "256m");
        Path ready = home.resolve("ready");
        Files.deleteIfExists(ready);

        if (!Files.exists(home.resolve("data/databases/system"))) {
            setInitialPassword(home, Files.readString(passwordFile).strip());
        }
        DatabaseManagementService dbms = new DatabaseManagementServiceBuilder(home)
                .setConfig(BoltConnector.enabled, true)
                .setConfig(BoltConnector.listen_address, new SocketAddress("127.0.0.1", port))
                .setConfig(BoltConnector.advertised_address, new SocketAddress("127.0.0.1", port))
                .setConfig(HttpConnector.enabled, false)
                .setConfig(GraphDatabaseSettings.auth_enabled, true)
                .setConfig(GraphDatabaseSettings.udc_enabled, false)
                .setConfig(GraphDatabaseSettings.plugin_dir, plugins)
                .setConfig(GraphDatabaseSettings.procedure_unrestricted, List.of("apoc.*"))
                .setConfig(GraphDatabaseSettings.pagecache_memory, ByteUnit.parse(pageCache))
                .build();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            dbms.shutdown();
            stopped.countDown();
        }, "neo4j-shutdown"));
        dbms.database(GraphDatabaseSettings.DEFAULT_DATABASE_NAME).executeTransactionally("RETURN 1");
        Path partial = home.resolve("ready.partial");
        Files.writeString(partial, ProcessHandle.current().pid() + "\n");
        Files.move(partial, ready, StandardCopyOption.ATOMIC_MOVE);
        stopped.await();
    }

    /** What `neo4j-admin dbms set-initial-password` does: data/dbms/auth.ini for the first start. */
    private static void setInitialPassword(Path home, String password) throws IOException {
        Path conf = home.resolve("conf");
        Files.createDirectories(conf);
        ExecutionContext context = new ExecutionContext(home, conf);
        int status = new CommandLine(new SetInitialPasswordCommand(context)).execute(password);
        if (status != 0) {
            throw new IOException("set-initial-password failed with status " + status);
        }
    }
}
