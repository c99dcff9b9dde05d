// Expert Mode: the operator may type a model id the catalog lacks (saved with `manual: true`). A choice of
// this browser, kept in localStorage; every picker hears `expert-mode` on the document when it changes.

const key = 'switchboard.expertMode';

export function expertMode() {
    try {
        return window.localStorage.getItem(key) === 'on';
    } catch {
        return false;
    }
}

export function setExpertMode(on) {
    try {
        if (on) window.localStorage.setItem(key, 'on');
        else window.localStorage.removeItem(key);
    } catch {
        // Storage refused (private mode): the switch still applies to this page.
    }
    document.dispatchEvent(new CustomEvent('expert-mode', { detail: { on } }));
}

/** `provider/model`: a provider id, a slash, and a model id without spaces. */
export function manualProblem(text) {
    if (!text) return 'Type a model id such as provider/model first.';
    if (!/^[a-z][A-Za-z0-9_-]*\/\S+$/.test(text)) return 'A model id is provider/model, for example ollama/llama3.2, without spaces.';
    return null;
}
