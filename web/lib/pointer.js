// JSON pointers (RFC 6901) into the settings document, and merge patches (RFC 7396) built from them.

export function segments(pointer) {
    return pointer.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** The value at `pointer` in `document`, or undefined. */
export function valueAt(document, pointer) {
    let node = document;
    for (const key of segments(pointer)) {
        if (node === null || typeof node !== 'object') return undefined;
        node = node[key];
    }
    return node;
}

/** True when `inner` is `outer` or lies under it (`/a/b` is within `/a`). */
export function within(inner, outer) {
    return inner === outer || inner.startsWith(`${outer}/`);
}

/** `pointer`, then its parent, up to the root's children: `/a/b/c`, `/a/b`, `/a`. */
export function ancestry(pointer) {
    const out = [];
    for (let p = pointer; p.lastIndexOf('/') > 0 || p.length > 1; p = p.slice(0, p.lastIndexOf('/'))) {
        out.push(p);
        if (p.lastIndexOf('/') === 0) break;
    }
    return out;
}

/** A merge patch that sets each pointer's value; `null` deletes the key so its default returns. */
export function mergePatch(changes) {
    const patch = {};
    for (const [pointer, value] of changes) {
        const keys = segments(pointer);
        let node = patch;
        keys.slice(0, -1).forEach((key) => {
            if (node[key] === null || typeof node[key] !== 'object') node[key] = {};
            node = node[key];
        });
        node[keys.at(-1)] = value === undefined ? null : value;
    }
    return patch;
}

export function sameValue(a, b) {
    return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/** The JSON Schema of the key at `pointer` (through `properties`), or an empty schema. */
export function schemaAt(schema, pointer) {
    let node = schema;
    for (const key of segments(pointer)) {
        node = node?.properties?.[key];
        if (!node) return {};
    }
    return node;
}
