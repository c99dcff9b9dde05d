// The account editor's Advanced section: base URL, custom headers (rows added and removed by buttons),
// the concurrency limit and the timeout.

import { announce } from '../../lib/announce.js';
import { html, render } from '../../lib/html.js';

/** The Advanced section of one editor (`root`). */
export class AccountAdvanced {
    #root;
    #headerRows = 0;

    constructor(root) {
        this.#root = root;
    }

    template(provider) {
        return html`
            <details class="disclosure" data-advanced>
                <summary>Advanced</summary>
                <div class="field">
                    <label for="acct-base-url">Base URL</label>
                    <p class="field__help" id="acct-base-url-help">Leave empty to use ${provider.apiEndpoint ? html`<code>${provider.apiEndpoint}</code>` : 'the provider’s address'}.</p>
                    <input id="acct-base-url" type="text" inputmode="url" data-field="baseUrl" autocomplete="off" spellcheck="false"
                           placeholder="${provider.apiEndpoint ?? ''}" aria-describedby="acct-base-url-help acct-base-url-messages">
                    <div class="field__messages" id="acct-base-url-messages" data-messages="/baseUrl"></div>
                </div>
                <fieldset class="group account-headers" aria-describedby="acct-headers-help acct-headers-messages">
                    <legend>Custom headers</legend>
                    <p class="field__help" id="acct-headers-help">Sent with every request to this provider. Keys and tokens belong in the credential, not here.</p>
                    <ul class="account-headers__rows"></ul>
                    <button type="button" class="button button--small" data-op="add-header">Add header</button>
                    <div class="field__messages" id="acct-headers-messages" data-messages="/headers"></div>
                </fieldset>
                <div class="field-row">
                    <div class="field">
                        <label for="acct-max-concurrent">Max concurrent requests</label>
                        <input id="acct-max-concurrent" type="number" inputmode="numeric" min="1" max="1000" step="1"
                               data-field="maxConcurrent" aria-describedby="acct-max-concurrent-messages">
                        <div class="field__messages" id="acct-max-concurrent-messages" data-messages="/maxConcurrent"></div>
                    </div>
                    <div class="field">
                        <label for="acct-timeout">Timeout</label>
                        <span class="field__with-unit">
                            <input id="acct-timeout" type="number" inputmode="numeric" min="1" max="600" step="1"
                                   data-field="timeoutSeconds" aria-describedby="acct-timeout-messages">
                            <span class="field__unit">seconds</span>
                        </span>
                        <div class="field__messages" id="acct-timeout-messages" data-messages="/timeoutSeconds"></div>
                    </div>
                </div>
            </details>`;
    }

    /** Whether the section is open (it stays as the user left it across a save). */
    get open() { return this.#root.querySelector('[data-advanced]')?.open; }

    set open(open) {
        const section = this.#root.querySelector('[data-advanced]');
        if (section) section.open = open;
    }

    /** Shows the settings `value(field)` gives (an account's, or what the user typed). */
    fill(value) {
        const set = (field) => { this.#root.querySelector(`[data-field="${field}"]`).value = value(field) ?? ''; };
        set('baseUrl');
        set('maxConcurrent');
        set('timeoutSeconds');
        for (const [name, text] of Object.entries(value('headers') ?? {})) this.addHeader(name, text, false);
    }

    /** The headers as typed: `{name: value}`; a row without a name is left out. */
    headers() {
        const headers = {};
        for (const row of this.#root.querySelectorAll('[data-header-row]')) {
            const name = row.querySelector('[data-header="name"]').value.trim();
            if (name) headers[name] = row.querySelector('[data-header="value"]').value;
        }
        return headers;
    }

    /** The row of the header `name` (as typed, any case): its messages box and controls, or null. */
    headerField(name) {
        const row = [...this.#root.querySelectorAll('[data-header-row]')].find(
            (r) => r.querySelector('[data-header="name"]').value.trim().toLowerCase() === name.toLowerCase());
        return row ? { box: row.querySelector('[data-header-messages]'), controls: [...row.querySelectorAll('input')] } : null;
    }

    addHeader(name = '', value = '', focus = true) {
        const list = this.#root.querySelector('.account-headers__rows');
        const n = ++this.#headerRows;
        const row = document.createElement('li');
        row.className = 'account-headers__row';
        row.dataset.headerRow = '';
        render(row, html`
            <div class="field">
                <label for="acct-header-${n}-name">Name</label>
                <input id="acct-header-${n}-name" type="text" data-header="name" autocomplete="off" spellcheck="false"
                       placeholder="X-Team" aria-describedby="acct-header-${n}-messages">
            </div>
            <div class="field">
                <label for="acct-header-${n}-value">Value</label>
                <input id="acct-header-${n}-value" type="text" data-header="value" autocomplete="off" spellcheck="false"
                       aria-describedby="acct-header-${n}-messages">
            </div>
            <button type="button" class="button button--small" data-op="remove-header"
                    aria-describedby="acct-header-${n}-name">Remove</button>
            <div class="field__messages" id="acct-header-${n}-messages" data-header-messages></div>`);
        row.querySelector('[data-header="name"]').value = name;
        row.querySelector('[data-header="value"]').value = value;
        list.append(row);
        if (focus) row.querySelector('input').focus();
    }

    /** Removes the row of `button`; the focus goes to the next row, or to Add header. */
    removeHeader(button) {
        const row = button.closest('[data-header-row]');
        const next = row.nextElementSibling ?? row.previousElementSibling;
        row.remove();
        (next?.querySelector('input') ?? this.#root.querySelector('[data-op="add-header"]')).focus();
        announce('Header removed');
    }
}
