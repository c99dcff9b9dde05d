import ArgumentParser
import Foundation
import Logging
import Storage

@main
struct Switchboard: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "switchboard",
        abstract: "The model & provider control plane of an AI-agent gateway.",
        subcommands: [Serve.self, TokenCommand.self, KeysCommand.self, AuditCommand.self, AuthCommand.self]
    )
}

/// Options every command that touches the state shares.
struct StateOptions: ParsableArguments {
    @Option(name: .long, help: "The state directory (database, vault). Created 0700.")
    var stateDir: String = "./.state"

    func open() throws -> AppDatabase {
        try AppDatabase.open(stateDirectory: StateDirectory(path: stateDir))
    }
}

/// A message for the operator on standard error, then exit 1.
struct Fatal: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}
