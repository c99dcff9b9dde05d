// A section's view state kept in the address (`?section=catalog&q=…`), so that a reload or a shared link shows
// the same view. Only the given names are read and written; the rest of the address is left alone.

/** `{name: value}` for each of `names` ('' when absent). */
export function readState(names) {
    const url = new URL(window.location.href);
    return Object.fromEntries(names.map((name) => [name, url.searchParams.get(name) ?? '']));
}

/** Writes each of `names` from `state`, dropping empty ones and those equal to `defaults[name]`, without a history entry. */
export function writeState(names, state, defaults = {}) {
    const url = new URL(window.location.href);
    for (const name of names) {
        if (state[name] && state[name] !== defaults[name]) url.searchParams.set(name, state[name]);
        else url.searchParams.delete(name);
    }
    window.history.replaceState(window.history.state, '', `${url.pathname}${url.search}${url.hash}`);
}
