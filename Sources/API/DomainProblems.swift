import Accounts
import Catalog
import Core
import Dispatcher
import HTTPTypes
import LocalTools
import Pairing
import Routing
import Settings
import Storage

/// An error that has an answer over HTTP.
///
/// The domain knows nothing about HTTP: its errors are plain enums next to the code that throws them, and each
/// conformance lives in this file. `Application.respond(to:)` is the one place a thrown error becomes a response,
/// so a handler cannot forget to map one.
///
/// ```swift
/// extension PairingService.Failure: ProblemConvertible {
///     var problem: Problem? { … Problem(.notFound, type: "not-found", …) … }
/// }
/// ```
/// `nil` says the error is a failure of the server itself: it is logged with its detail and answered by a
/// generic 500 whose body says nothing internal. An error that conforms to nothing is treated the same.
package protocol ProblemConvertible: Error {
    var problem: Problem? { get }
}

extension Problem: ProblemConvertible {
    package var problem: Problem? { self }
}

// MARK: Settings

extension StaleRevision: ProblemConvertible {
    package var problem: Problem? {
        Problem(.preconditionFailed, type: "stale-revision", title: "The settings changed since you read them",
                detail: "The current revision is \(current). Read GET /api/config again, reapply your change and send its ETag.",
                headers: [.eTag: EntityTag.of(current)], members: ["currentRevision": .number(Double(current))])
    }
}

extension Settings.Failure: ProblemConvertible {
    package var problem: Problem? {
        switch self {
        case .invalid(let issues):
            let secrets = issues.contains { $0.code == "secret_not_allowed" }
            let fields = issues.count == 1 ? "1 field is" : "\(issues.count) fields are"
            return Problem(.unprocessableContent, type: secrets ? "secret-in-settings" : "invalid-settings",
                           title: "The settings were not saved",
                           detail: secrets
                               ? "Secrets never go into the settings document; store them with \(SecretDetector.credentialAPI). Nothing was changed."
                               : "\(fields) invalid; nothing was changed.",
                           errors: issues.map { FieldError(pointer: $0.pointer, code: $0.code, message: $0.message) })
        }
    }
}

extension ConfigService.UnknownRevision: ProblemConvertible {
    package var problem: Problem? {
        Problem(.unprocessableContent, type: "invalid-settings", title: "The settings were not changed",
                detail: "There is no revision \(revision).",
                errors: [.init(pointer: "/revision", code: "unknown_revision", message: "there is no revision \(revision)")])
    }
}

// MARK: Catalog

extension CatalogStore.CustomFailure: ProblemConvertible {
    package var problem: Problem? {
        switch self {
        case .invalid(let p):
            Problem(.unprocessableContent, type: "invalid-catalog-entry", title: "Not a valid Catwalk provider",
                    detail: "\(p.pointer.isEmpty ? "The body" : p.pointer) \(p.message).",
                    errors: [.init(pointer: p.pointer, code: "invalid", message: p.message)])
        case .secrets(let found):
            Problem(.unprocessableContent, type: "secret-in-catalog-entry", title: "The provider was not saved",
                    detail: "Catalog files are plain JSON under the state directory, so they never hold secrets: name an environment variable in Catwalk's $VAR form, or store the key on an account with \(SecretDetector.credentialAPI). Nothing was changed.",
                    errors: found.map { .init(pointer: $0.pointer, code: "secret_not_allowed", message: $0.message) })
        case .idMismatch(let body, let path):
            Problem(.unprocessableContent, type: "invalid-catalog-entry", title: "Not a valid Catwalk provider",
                    detail: "The body's id is \(body) but the path names \(path).",
                    errors: [.init(pointer: "/id", code: "id_mismatch", message: "must be \(path), as in the path")])
        case .existingFileUnreadable:
            Problem(.conflict, type: "catalog-file-unreadable", title: "The existing catalog file cannot be read",
                    detail: "Switchboard never overwrites an unreadable catalog file. Fix it, or DELETE this custom provider first; GET /api/catalog lists what is wrong with it.")
        case .notFound:
            Problem(.notFound, type: "not-found", title: "Not found", detail: "There is no custom provider with this id.")
        case .noCustomDirectory, .cannotWrite:
            nil
        }
    }
}

// MARK: Accounts

extension AccountService.Failure: ProblemConvertible {
    package var problem: Problem? {
        switch self {
        case .invalidID:
            return Problem(.badRequest, type: "invalid-id", title: "Invalid account id",
                           detail: "An account id is <provider>:<name>, e.g. anthropic:work; the name uses lower-case letters, digits, - and _ (at most 64).")
        case .notFound(let id):
            return Problem(.notFound, type: "not-found", title: "Not found", detail: "There is no account \(id).")
        case .exists(let id):
            return Problem(.conflict, type: "account-exists", title: "The account exists",
                           detail: "There is already an account \(id). Change it with PATCH, or choose another name.")
        case .invalid(let errors), .invalidCredential(let errors):
            let credential: Bool = if case .invalidCredential = self { true } else { false }
            let fields = errors.count == 1 ? "1 field is" : "\(errors.count) fields are"
            let secrets = errors.contains { $0.code == "secret_not_allowed" } ? " Secrets go to \(SecretDetector.credentialAPI) only." : ""
            return Problem(.unprocessableContent, type: credential ? "invalid-credential" : "invalid-account",
                           title: "Nothing was saved", detail: "\(fields) invalid.\(secrets)", errors: errors)
        case .stale(let current):
            return Problem(.preconditionFailed, type: "stale-account", title: "The account changed since you read it",
                           detail: "Its current version is \(current). Read it again and reapply your change.",
                           headers: [.eTag: EntityTag.of(current)], members: ["currentVersion": .number(Double(current))])
        case .noCredential:
            return Problem(.conflict, type: "no-credential", title: "No credential is stored",
                           detail: "This account has no stored credential. Store one with PUT …/credential.")
        case .unreadable(let why):
            return Problem(.conflict, type: "credential-unreadable", title: "The stored credential cannot be opened",
                           detail: "\(why.prefix(1).uppercased() + why.dropFirst()). Restore the master key file, or store the credential again.")
        case .unknownField(let name, let kind, let fields):
            return Problem(.badRequest, type: "invalid-field", title: "No such credential field",
                           detail: "No credential has a field \(name.prefix(64)); this one, of kind \(kind), has \(fields.joined(separator: ", ")).",
                           errors: [.init(pointer: "", code: "unknown_field", message: "field must be one of \(fields.joined(separator: ", "))")])
        case .fieldNotStored(let name):
            return Problem(.notFound, type: "field-not-stored", title: "The credential has no such value",
                           detail: "The stored credential holds no \(name).")
        case .auditFailed:
            return Problem(.serviceUnavailable, type: "audit-unavailable", title: "The secret was not shown",
                           detail: "Showing or copying a secret is recorded in the audit log first, and that record could not be written. Try again; if it keeps failing, check the server log.")
        }
    }
}

// MARK: Providers

extension ProviderTestService.Failure: ProblemConvertible {
    package var problem: Problem? {
        switch self {
        case .needsConfirmation(let why):
            Problem(.conflict, type: "credential-needs-confirmation", title: "Confirm the credential for the new address first", detail: why)
        case .unsupported(let why):
            Problem(.unprocessableContent, type: "test-unsupported", title: "This provider cannot be tested", detail: why)
        case .directApiNotAllowed(let why):
            Problem(.conflict, type: "direct-api-not-allowed", title: "Direct API calls are not allowed with this sign-in", detail: why)
        }
    }
}

// MARK: OAuth and pairing

extension OAuthService.Failure: ProblemConvertible {
    package var problem: Problem? {
        switch self {
        case .unavailable(let why):
            Problem(.conflict, type: "oauth-unavailable", title: "This sign-in is not available", detail: why)
        case .invalid(let errors):
            Problem(.unprocessableContent, type: "validation", title: "The request has invalid fields", errors: errors)
        case .state(let category, let detail):
            Problem(.badRequest, type: "oauth-state", title: "The sign-in answer cannot be used", detail: detail,
                    members: ["category": .string(category)])
        case .flowNotFound:
            Problem(.notFound, type: "not-found", title: "Not found", detail: "No sign-in of yours has this id.")
        }
    }
}

extension OAuthClients.Failure: ProblemConvertible {
    package var problem: Problem? {
        switch self {
        case .invalid(let errors):
            Problem(.unprocessableContent, type: "validation", title: "The OAuth client has invalid fields", errors: errors)
        }
    }
}

extension PairingService.Failure: ProblemConvertible {
    package var problem: Problem? {
        switch self {
        case .invalid(let errors):
            Problem(.unprocessableContent, type: "validation", title: "The request has invalid fields", errors: errors)
        case .notFound:
            Problem(.notFound, type: "not-found", title: "Not found", detail: "No pairing has this id.")
        case .wrongCode(expired: true):
            Problem(.gone, type: "pairing-code-expired", title: "The pairing code expired",
                    detail: "This code has expired — request a new code on the settings page.")
        case .wrongCode(expired: false):
            Problem(.badRequest, type: "pairing-code-invalid", title: "The pairing code is not valid",
                    detail: "No waiting pairing has this code: check it, or request a new code on the settings page. Five wrong codes cancel every waiting code.")
        case .wrongProvider:
            Problem(.conflict, type: "pairing-wrong-provider", title: "The code is for another provider",
                    detail: "This pairing code was issued for another provider than the one named. Run the command exactly as the settings page shows it (its --provider). This counted as a wrong try.")
        case .throttled(let seconds):
            Authenticator.throttled(retryAfter: seconds)
        }
    }
}

// MARK: Routing

extension RouteService.Failure: ProblemConvertible {
    package var problem: Problem? {
        switch self {
        case .invalid(let errors):
            return Problem(.unprocessableContent, type: "validation", title: "The request has invalid fields", errors: errors)
        case .unknownAgent(let agent):
            return Problem(.unprocessableContent, type: "unknown-agent", title: "No such agent",
                           detail: "There is no agent \(agent) under agents.entries; add it to the settings or leave agent out to use the defaults.",
                           errors: [FieldError(pointer: "/agent", code: "unknown_agent", message: "is not an agent in agents.entries")])
        case .noModel:
            return Problem(.unprocessableContent, type: "no-model", title: "No model to route",
                           detail: "The request names no model, and neither the agent nor agents.defaults.model.primary has one.",
                           errors: [FieldError(pointer: "/model", code: "required", message: "name a model (provider/model or an alias), or set a default model")])
        case .unknownModels(let models):
            return Problem(.unprocessableContent, type: "unknown-model", title: "No account offers this model",
                           detail: "No connected account offers \(models.joined(separator: ", ")): connect an account of its provider, check the model id, or mark it manual under agents.defaults.models.",
                           errors: [FieldError(pointer: "/model", code: "unknown_model", message: "no account offers \(models[0])")])
        case .unavailable(let u, let now):
            var headers = HTTPFields()
            var members: [String: JSONValue] = [
                "accounts": .array(u.skipped.map { s in
                    var o: [String: JSONValue] = ["account": .string(s.account), "model": .string(s.model), "reason": .string(s.reason),
                                                  "detail": .string(s.detail)]
                    if let until = s.until { o["until"] = .string(until.formatted(.iso8601)) }
                    return .object(o)
                }),
                "explain": .array(u.explain.map(\.jsonValue)),
            ]
            if let retryAt = u.retryAt {
                headers[.retryAfter] = String(max(1, Int(retryAt.timeIntervalSince(now).rounded(.up))))
                members["retryAt"] = .string(retryAt.formatted(.iso8601))
            }
            let reasons = Set(u.skipped.map(\.reason)).sorted().joined(separator: ", ")
            return Problem(.serviceUnavailable, type: "no-account-available", title: "No account can serve this model now",
                           detail: u.retryAt.map { "Every account of the model and its fallbacks is out (\(reasons)); the first frees up at \($0.formatted(.iso8601))." }
                               ?? "Every account of the model and its fallbacks is out (\(reasons.isEmpty ? "none left" : reasons)), and none frees up by itself: test or fix the accounts.",
                           headers: headers, members: members)
        case .credentialNotAllowed(let admin):
            return Problem(.forbidden, type: "credential-not-allowed", title: "This token is not handed credentials",
                           detail: admin ? "An admin token is never handed a credential by POST /api/route; create a runtime token with the credentials scope (switchboard token create --scope runtime --scope credentials)."
                                         : "This runtime token lacks the credentials scope: it gets decisions but no secret. Create one with --scope runtime --scope credentials.")
        case .unknownDecision(let id):
            return Problem(.notFound, type: "unknown-decision", title: "No such decision",
                           detail: "There is no decision \(id) made for this token; decisions are kept an hour.")
        case .alreadyReported(let id, let outcome):
            return Problem(.conflict, type: "outcome-already-reported", title: "The outcome was already reported",
                           detail: "Decision \(id) already has the outcome \(outcome); each decision takes one outcome. Ask POST /api/route again for the next call.")
        case .unknownStatusModel(let model):
            return Problem(.notFound, type: "unknown-model", title: "No account offers this model", detail: "No account offers \(model).")
        case .unknownSelection(let name):
            return Problem(.unprocessableContent, type: "unknown-selection", title: "No such model selection",
                           detail: "There is no CLI model selection \(name); see GET /api/cli/selections.",
                           errors: [FieldError(pointer: "/selection", code: "unknown_selection", message: "is not a model selection")])
        }
    }
}

// MARK: Provider CLIs

extension LocalToolService.Failure: ProblemConvertible {
    package var problem: Problem? {
        switch self {
        case .unknownTool(let name):
            return Problem(.notFound, type: "unknown-cli", title: "No such CLI",
                           detail: "Switchboard knows \(ToolDefinition.all.map(\.name).joined(separator: ", ")); \(name) is not one of them.")
        case .notInstalled(let name):
            return Problem(.conflict, type: "cli-not-installed", title: "The CLI is not installed",
                           detail: "\(name) was not found on PATH or in the --cli-path directories. Install it, then POST /api/cli/scan.")
        case .invalid(let errors):
            return Problem(.unprocessableContent, type: "validation", title: "The request has invalid fields", errors: errors)
        case .unknownAccount(let id):
            return Problem(.notFound, type: "not-found", title: "No such CLI account", detail: "There is no account \(id) of this CLI.")
        case .accountExists(let id):
            return Problem(.conflict, type: "account-exists", title: "The account already exists",
                           detail: "An account \(id) already exists (API and CLI accounts share ids); choose another name.",
                           errors: [FieldError(pointer: "/id", code: "duplicate", message: "is taken")])
        case .unknownSelection(let name):
            return Problem(.notFound, type: "not-found", title: "No such selection", detail: "There is no model selection \(name).")
        case .selectionExists(let name):
            return Problem(.conflict, type: "selection-exists", title: "The selection already exists",
                           detail: "A selection \(name) exists: change it with PUT /api/cli/selections/\(name).",
                           errors: [FieldError(pointer: "/name", code: "duplicate", message: "is taken")])
        case .selectionConflict(let name, let current):
            return Problem(.preconditionFailed, type: "stale-revision", title: "The selection changed since you read it",
                           detail: "\(name) is at revision \(current ?? 0); read it again and reapply your change.",
                           headers: current.map { [.eTag: EntityTag.of($0)] } ?? [:])
        case .loginRunning(let id):
            return Problem(.conflict, type: "login-running", title: "A sign-in is already running",
                           detail: "\(id) has a sign-in in progress: follow it with GET, or cancel it with DELETE on the same path.")
        case .noLogin(let id):
            return Problem(.notFound, type: "not-found", title: "No sign-in", detail: "No sign-in was started for \(id) since the server started.")
        case .loginEnded(let id):
            return Problem(.conflict, type: "login-ended", title: "The sign-in has ended",
                           detail: "The sign-in of \(id) is no longer running; start a new one.")
        case .unknownModel(let tool, let model):
            return Problem(.unprocessableContent, type: "unknown-model", title: "The CLI has no such model",
                           detail: "\(tool) has no model \(model); POST /api/cli/\(tool)/sync to read its models again.")
        }
    }
}
