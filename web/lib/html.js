// The only way user or server data enters markup: html`...` escapes every interpolated value.
// Interpolate inside quoted attributes only (class="${x}"), never into tag names, unquoted attributes,
// URLs from outside, or event handlers.

const escapes = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };

class SafeHTML {
    #text;
    constructor(text) { this.#text = text; }
    toString() { return this.#text; }
}

export function escapeHTML(value) {
    return String(value).replace(/[&<>"'`]/g, (c) => escapes[c]);
}

function fragment(value) {
    if (value instanceof SafeHTML) return value.toString();
    if (Array.isArray(value)) return value.map(fragment).join('');
    if (value === null || value === undefined || value === false) return '';
    return escapeHTML(value);
}

/** Tagged template: literal parts are trusted markup, interpolated values are escaped (nested html`` is kept). */
export function html(strings, ...values) {
    let out = strings[0];
    values.forEach((value, i) => { out += fragment(value) + strings[i + 1]; });
    return new SafeHTML(out);
}

/** Text whose `backticked` parts are shown as code (the API's problem details use that convention). */
export function withCode(text) {
    const parts = String(text ?? '').split('`');
    if (parts.length % 2 === 0) return html`${text}`;
    return html`${parts.map((part, i) => (i % 2 ? html`<code>${part}</code>` : part))}`;
}

/** Replaces the children of `target` with an html`` template. */
export function render(target, template) {
    if (!(template instanceof SafeHTML)) throw new TypeError('render() takes an html`` template');
    target.innerHTML = template.toString();
}
