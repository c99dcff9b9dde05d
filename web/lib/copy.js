// A value shown with a Copy button (a redirect URI, a sign-in address, a command): the value stays visible
// and selectable, so a refused clipboard only costs the shortcut.

import { announce } from './announce.js';
import { html } from './html.js';

/**
 * `value` in a <code> with a Copy button; `label` names it for the button ("Copy the redirect URI"). A long
 * value that is also a link (`shown: false`) is only copied, not printed.
 */
export function copyable(id, value, label, { big = false, shown = true } = {}) {
    return html`
        <span class="copyable${big ? ' copyable--big' : ''}">
            <code class="copyable__value${shown ? '' : ' visually-hidden'}" id="${id}" data-copy-value>${value}</code>
            <button type="button" class="button button--small" data-op="copy-value" data-copy-from="${id}"
                    aria-label="${label}">Copy</button>
            <span class="copyable__note muted" data-copy-note role="status"></span>
        </span>`;
}

/** Handles a click on a `copyable` button: copies the value and says so next to the button. */
export async function copyFrom(button) {
    const value = document.getElementById(button.dataset.copyFrom)?.textContent ?? '';
    const note = button.parentElement.querySelector('[data-copy-note]');
    try {
        if (!navigator.clipboard?.writeText) throw new Error('no clipboard');
        await navigator.clipboard.writeText(value);
        note.textContent = 'Copied.';
        announce('Copied to the clipboard');
    } catch {
        note.textContent = 'The browser did not allow copying: select the text and copy it.';
    }
}
