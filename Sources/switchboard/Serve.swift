import API
import Accounts
import App
import ArgumentParser
import Auth
import Catalog
import Core
import FastCGI
import Foundation
import HTTPTypes
import LocalTools
import Logging
import Outbound
import Routing
import Storage
import Vault

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the API over FastCGI (behind nginx).",
        discussion: "On first start with an empty state, mints an admin token and prints it once on standard output."
    )

    @OptionGroup var state: StateOptions

    @Option(help: "Create and listen on this Unix socket (mode 0660).")
    var socket: String?

    @Option(help: "Group to own the socket, so that only the web server's group can connect (e.g. www-data).")
    var socketGroup: String?

    @Flag(help: "Use the listening socket inherited from the parent (systemd socket activation or spawn-fcgi, fd 0).")
    var inheritSocket = false

    @Option(help: "Threads blocked in accept; they only read requests.")
    var acceptThreads = 4

    @Option(help: "Requests handled at once; beyond this, connections wait in the backlog.")
    var maxInFlight = 512

    @Option(help: "Largest request body in bytes (larger: 413).")
    var maxBodyBytes = 1 << 20

    @Option(name: .customLong("allow-insecure-host"),
            help: "A host whose provider base URL may use plain http (e.g. a local Ollama). Repeatable.")
    var allowInsecureHosts: [String] = []

    @Option(name: .customLong("allow-private-host"),
            help: "A host whose addresses may be loopback or private for provider calls (e.g. a local Ollama). Repeatable.")
    var allowPrivateHosts: [String] = []

    @Option(help: "An extra CA certificate (PEM) trusted for provider calls, besides the system's.")
    var outboundCaFile: String?

    @Option(help: "The address browsers and paired machines reach this server at (https://switchboard.example.com): used for OAuth redirect URIs and pairing commands. Default: the Host of each request.")
    var publicUrl: String?

    @Option(help: "Renew an OAuth access token in the background once it expires within this many seconds.")
    var tokenRenewalMargin = 300

    @Option(help: "Seconds between two looks for OAuth access tokens to renew.")
    var tokenRenewalInterval = 60

    @Option(help: ArgumentHelp("Cooldowns of a rate-limited account, in seconds, one per strike in a row (the last repeats).",
                               valueName: "seconds,…"))
    var cooldownLadder = "60,300,1500,3600"

    @Option(name: .customLong("cli-path"), help: ArgumentHelp("A directory searched for provider CLIs (claude, codex, gemini, opencode) before PATH; repeat for more.",
                                                        valueName: "dir"))
    var cliPaths: [String] = []

    @Option(help: "Minutes between two looks for provider CLIs and their versions (0: only at start and on POST /api/cli/scan).")
    var cliScanInterval = 10

    @Option(help: "Seconds a provider CLI command (version, sign-in status, model list) may take before it is ended.")
    var cliTimeout = 15

    @Option(help: "Seconds a sign-in relayed from a provider CLI may wait for the operator before it is ended.")
    var cliLoginTimeout = 600

    @Flag(help: "Do not turn provider keys found in the environment into accounts on first start.")
    var noImportEnvironment = false

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    func validate() throws {
        if (socket == nil) == !inheritSocket {
            throw ValidationError("Give exactly one of --socket PATH or --inherit-socket.")
        }
        if Logger.Level(rawValue: logLevel) == nil { throw ValidationError("Unknown log level \(logLevel).") }
        if tokenRenewalMargin < 1 || tokenRenewalInterval < 1 {
            throw ValidationError("--token-renewal-margin and --token-renewal-interval are whole seconds, at least 1.")
        }
        if cliScanInterval < 0 || cliScanInterval > 10080 { throw ValidationError("--cli-scan-interval is whole minutes from 0 to 10080.") }
        if cliTimeout < 1 || cliTimeout > 600 { throw ValidationError("--cli-timeout is whole seconds from 1 to 600.") }
        if cliLoginTimeout < 10 || cliLoginTimeout > 3600 { throw ValidationError("--cli-login-timeout is whole seconds from 10 to 3600.") }
        for path in cliPaths where !path.hasPrefix("/") { throw ValidationError("--cli-path \(path) must be an absolute directory.") }
    }

    func run() throws {
        // Before any thread exists, so every thread inherits the mask (see TerminationSignals).
        TerminationSignals.block()
        umask(0o077)
        let level = Logger.Level(rawValue: logLevel)!
        let sink = LogSink(fileDescriptor: 2)
        defer { sink.flush() }
        LoggingSystem.bootstrap { label in JSONLogHandler(label: label, level: level, sink: sink) }
        let logger = Logger(label: "switchboard")

        let database: AppDatabase
        do {
            database = try state.open()
        } catch {
            throw Fatal("switchboard: cannot open the state in \(state.stateDir): \(error)")
        }
        try AuditStartup.run(database, logger: logger)
        if let minted = try AdminTokens(database: database).createInitialIfNone() {
            FileHandle.standardOutput.write(Data("""
                First start: an admin token was created. It is shown only this once; store it now.

                    \(minted.secret)

                Sign in at /settings with it, or send `Authorization: Bearer <token>`.

                """.utf8))
            logger.notice("initial admin token created", metadata: ["token_id": "\(minted.record.id)"])
        }

        guard let shipped = Catalog.shippedDirectory else {
            throw Fatal("switchboard: the shipped provider catalog is missing (the Switchboard_Catalog.resources directory belongs next to the binary)")
        }
        let catalog = CatalogStore(shipped: shipped,
                                   custom: URL(fileURLWithPath: state.stateDir).appendingPathComponent("catalog", isDirectory: true))
        for problem in catalog.current.problems {
            logger.warning("catalog file unreadable; left as it is", metadata: [
                "file": "\(problem.file)", "pointer": "\(problem.pointer)", "problem": "\(problem.message)"])
        }
        for provider in catalog.current.providers {
            for warning in provider.warnings {
                logger.warning("catalog provider warning", metadata: [
                    "provider": "\(provider.id)", "pointer": "\(warning.pointer)", "code": "\(warning.code)"])
            }
        }
        let vault = Vault(stateDirectory: URL(fileURLWithPath: state.stateDir))
        if let file = outboundCaFile, !FileManager.default.isReadableFile(atPath: file) {
            throw Fatal("switchboard: --outbound-ca-file \(file) cannot be read")
        }
        // Outbound calls need libcurl 7.85 or later: say so at start, not at the first provider test.
        if case .failure(let error) = Curl.ready { throw Fatal("switchboard: outbound HTTP is unavailable: \(error)") }
        logger.info("outbound HTTP", metadata: ["libcurl": "\(Curl.version)"])
        let outbound = OutboundClient(policy: OutboundPolicy(insecureHosts: Set(allowInsecureHosts), privateHosts: Set(allowPrivateHosts),
                                                             extraCAFile: outboundCaFile))
        let ladder = cooldownLadder.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !ladder.isEmpty, ladder.count <= 16, ladder.allSatisfy({ ($0 ?? 0) >= 1 && ($0 ?? 0) <= 7 * 86400 }) else {
            throw Fatal("switchboard: --cooldown-ladder must be 1 to 16 comma-separated whole seconds from 1 to 604800 (e.g. 60,300,1500,3600)")
        }
        var cooldowns = CooldownRules()
        cooldowns.ladder = ladder.map { .seconds($0!) }
        let application = Application(database: database, logger: logger, catalog: catalog, vault: vault,
                                      outbound: outbound, requestLog: sink, publicURL: publicUrl,
                                      renewal: TokenRenewer.Schedule(margin: .seconds(tokenRenewalMargin), interval: .seconds(tokenRenewalInterval)),
                                      cooldowns: cooldowns,
                                      tools: LocalToolService.Options(extraPaths: cliPaths, commandTimeout: .seconds(cliTimeout),
                                                                      loginTimeout: .seconds(cliLoginTimeout)))
        try VaultStartup.run(application, vault: vault, importEnvironment: !noImportEnvironment, logger: logger)
        let listen: ListenAddress = inheritSocket ? .inherited : .unixSocket(path: socket!, group: socketGroup)
        let server = FastCGIServer(
            configuration: .init(listen: listen, acceptThreads: acceptThreads, maxInFlight: maxInFlight,
                                 maxBodyBytes: maxBodyBytes),
            logger: logger,
            admission: { FastCGIBridge.refusal(application, before: $0) },
            handler: { await FastCGIBridge.respond(application, to: $0) }
        )
        let renewer = application.renewer
        TerminationSignals.onTermination { signal in
            logger.notice("shutting down", metadata: ["signal": "\(signal)"])
            server.stop()
            renewer.stop()
        }
        // A task on Swift's global executor: it holds none of the acceptor threads.
        renewer.start()
        application.routing.start()
        application.tools.start(every: cliScanInterval > 0 ? .seconds(cliScanInterval * 60) : nil)
        defer {
            // Relayed sign-ins still running end with the server (their CLI is in a terminal of ours).
            application.tools.stopBlocking(grace: .seconds(1))
            // Decisions, pin uses and credential counts not written yet are written before the process ends.
            if !application.routing.stopBlocking(grace: .seconds(1)) { logger.warning("routing usage not written at exit") }
            renewer.stop()
            // A renewal in flight gets the grace requests get: its rotated refresh token must be stored.
            if !renewer.waitUntilStopped(grace: .milliseconds(Int64(server.configuration.shutdownGrace * 1000))) {
                logger.warning("token renewal still in flight at exit")
            }
        }
        do {
            let outcome = try server.run()
            if outcome.abandoned > 0 {
                logger.warning("requests abandoned at shutdown", metadata: ["count": "\(outcome.abandoned)"])
            }
        } catch {
            throw Fatal("switchboard: \(error)")
        }
    }
}

/// The thin adapter between the FastCGI transport and the transport-free application.
enum FastCGIBridge {
    static func respond(_ application: Application, to fcgi: FastCGIRequest) async -> FastCGIResponse {
        let body: Request.Body = switch fcgi.body {
        case .complete(let bytes): .bytes(bytes)
        case .tooLarge(_, let limit): .tooLarge(limit: limit)
        case .truncated: .truncated
        case .invalidLength: .invalidLength
        }
        guard let request = Request(cgi: fcgi.params, body: body) else {
            return FastCGIResponse(status: 400, reason: "Bad Request", headers: [("Content-Type", "text/plain")],
                                   body: Array("missing REQUEST_METHOD\n".utf8))
        }
        return fastCGI(await application.respond(to: request))
    }

    /// The application's answer from a request's head alone, before the body is read (a throttled address).
    /// Nothing is built while no address is throttled: this runs for every request.
    static func refusal(_ application: Application, before params: [String: String]) -> FastCGIResponse? {
        guard application.mayRefuseBeforeBody, let request = Request(cgi: params, body: .bytes([])) else { return nil }
        return application.refusal(beforeBody: request).map(fastCGI)
    }

    static func fastCGI(_ response: Response) -> FastCGIResponse {
        FastCGIResponse(status: response.status.code, reason: response.status.reasonPhrase,
                        headers: response.headers.map { ($0.name.rawName, $0.value) }, body: response.body)
    }
}
