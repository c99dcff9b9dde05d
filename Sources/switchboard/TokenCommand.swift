import ArgumentParser
import Auth
import Foundation

struct TokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Manage API tokens: admin tokens, and runtime tokens for agent runtimes that ask for routing.",
        subcommands: [Create.self, List.self, Revoke.self]
    )

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a token and print it once.")
        @OptionGroup var state: StateOptions
        @Option(help: "A name to recognise the token by in `token list`.")
        var name = "admin"
        @Option(name: .customLong("scope"), help: ArgumentHelp(
            "admin (the default), or runtime with optional credentials; repeat for several.",
            discussion: "A runtime token calls only the routing endpoints; with credentials it is also handed the credential for each decision."))
        var scopes: [String] = []

        func run() throws {
            umask(0o077)
            let checked: TokenScopes
            switch TokenScopes.make(scopes) {
            case .success(let s): checked = s
            case .failure(let error): throw ValidationError(error.message)
            }
            let minted = try AdminTokens(database: state.open()).create(name: name, scopes: checked)
            print(minted.secret)
            FileHandle.standardError.write(Data("created \(minted.record.id) (\(name), scopes: \(checked.names.joined(separator: " "))); the token above is shown only once\n".utf8))
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List tokens (ids and names, never the tokens).")
        @OptionGroup var state: StateOptions

        func run() throws {
            umask(0o077)
            let formatter = ISO8601DateFormatter()
            print("ID\tNAME\tSCOPES\tCREATED\tLAST USED\tSTATUS")
            for token in try AdminTokens(database: state.open()).list() {
                print([token.id, token.name, token.scopes.replacingOccurrences(of: " ", with: ","), formatter.string(from: token.createdAt),
                       token.lastUsedAt.map(formatter.string(from:)) ?? "never",
                       token.revokedAt == nil ? "active" : "revoked"].joined(separator: "\t"))
            }
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token; its browser sessions end too.")
        @OptionGroup var state: StateOptions
        @Argument(help: "The token's id, as `token list` shows it.")
        var id: String

        func run() throws {
            umask(0o077)
            guard try AdminTokens(database: state.open()).revoke(id: id) else {
                throw Fatal("switchboard: no active token with id \(id)")
            }
            print("revoked \(id)")
        }
    }
}
