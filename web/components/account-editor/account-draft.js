// What the account editor sends: an account's settings as the form holds them (a draft), and the requests
// built from one: the body that creates an account and the merge patch that changes one.

const same = (a, b) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

// The account's own settings, each a field of the form.
const editable = ['displayName', 'authMethod', 'baseUrl', 'headers', 'maxConcurrent', 'timeoutSeconds', 'defaultModel'];

/** True when one of the account's own settings (or its credential) differs between `a` and `b`. */
export function settingsDiffer(a, b) {
    return [...editable, 'credential'].some((field) => !same(a[field], b[field]));
}

/** The drafted settings that differ from `before` (the account they were typed over). */
export function changedSettings(before, draft) {
    const changed = {};
    for (const field of editable) {
        const was = field === 'headers' ? before.headers ?? {} : before[field];
        if (!same(draft[field], was)) changed[field] = draft[field];
    }
    return changed;
}

/** The body of POST /api/accounts: the id from the name, the settings that are set, the credential if typed. */
export function createInput(provider, draft) {
    const input = {
        id: `${provider.id}:${draft.name}`,
        provider: provider.id,
        displayName: draft.displayName || provider.name,
    };
    if (draft.authMethod) input.authMethod = draft.authMethod;
    if (draft.baseUrl) input.baseUrl = draft.baseUrl;
    if (Object.keys(draft.headers).length) input.headers = draft.headers;
    if (draft.maxConcurrent !== null) input.maxConcurrent = draft.maxConcurrent;
    if (draft.timeoutSeconds !== null) input.timeoutSeconds = draft.timeoutSeconds;
    if (draft.defaultModel) input.defaultModel = draft.defaultModel;
    if (draft.credential) input.credential = draft.credential;
    return input;
}

/** The merge patch (RFC 7396) from `account` to the draft; a header that is gone is null. */
export function accountPatch(account, draft) {
    const patch = {};
    if (draft.displayName && draft.displayName !== account.displayName) patch.displayName = draft.displayName;
    for (const field of ['authMethod', 'baseUrl', 'maxConcurrent', 'timeoutSeconds', 'defaultModel']) {
        if (!same(draft[field], account[field])) patch[field] = draft[field];
    }
    const before = account.headers ?? {};
    if (!same(draft.headers, before)) {
        const headers = {};
        for (const name of Object.keys(before)) if (!(name in draft.headers)) headers[name] = null;
        for (const [name, value] of Object.entries(draft.headers)) if (before[name] !== value) headers[name] = value;
        patch.headers = headers;
    }
    return patch;
}

/** PUT …/credential answers with pointers into the credential (`/apiKey`): the form names it `/credential/apiKey`. */
export function underCredential(error) {
    error.errors = (error.errors ?? []).map((e) => ({
        ...e, pointer: e.pointer?.startsWith('/credential') ? e.pointer : `/credential${e.pointer ?? ''}`,
    }));
}

/** A 409 on create without field errors: the id is taken, said at the name. */
export function duplicateId(error) {
    if (error.status === 409 && !error.errors?.length) {
        error.errors = [{ pointer: '/id', code: 'duplicate', message: error.detail || 'An account with this id exists.' }];
    }
}
