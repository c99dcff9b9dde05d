import { api } from '../../api.js';
import { announce } from '../../lib/announce.js';
import { html, render } from '../../lib/html.js';
import { confirmDialog } from '../account-dialog/account-dialog.js';
import { draftTestResult, refusedTest } from '../account-editor/connection-test.js';

// The fields of each credential kind the vault takes. `secret` fields are masked and never shown again once
// saved; `initial` fields start filled in and alone do not make a new credential.
const credentialFields = {
    api_key: [{ name: 'apiKey', label: 'API key', secret: true }],
    azure: [
        { name: 'endpoint', label: 'Endpoint', placeholder: 'https://my-resource.openai.azure.com' },
        { name: 'apiKey', label: 'API key', secret: true },
        { name: 'apiVersion', label: 'API version', initial: '2024-10-21' },
        { name: 'deployment', label: 'Deployment (optional)' },
    ],
    aws: [
        { name: 'accessKeyId', label: 'Access key ID' },
        { name: 'secretAccessKey', label: 'Secret access key', secret: true },
        { name: 'sessionToken', label: 'Session token (optional)', secret: true },
        { name: 'region', label: 'Region', placeholder: 'us-east-1' },
    ],
    service_account: [{ name: 'json', label: 'Key file (JSON)', secret: true, multiline: true }],
};

const kindTitles = { api_key: 'API key', azure: 'Azure OpenAI key', aws: 'AWS access keys', service_account: 'Service account key' };

/** The secret of each kind, named for people. */
export const secretNouns = { api_key: 'key', azure: 'key', aws: 'secret access key', service_account: 'key file', oauth: 'token' };

// The field that holds each kind's main secret. Sent as the redaction mark (`••••`, how the API shows a
// stored secret), it keeps the stored value.
const mainSecret = { api_key: 'apiKey', azure: 'apiKey', aws: 'secretAccessKey', service_account: 'json', oauth: 'accessToken' };
const redactionMark = '••••';

// What a credential of each kind needs before it can be tested, and what a working one is called.
const testable = {
    api_key: { required: ['apiKey'], works: 'Key works' },
    azure: { required: ['endpoint', 'apiKey', 'apiVersion'], works: 'Key works' },
    aws: { required: ['accessKeyId', 'secretAccessKey'], works: 'Access keys work' },
    service_account: { required: ['json'], works: 'Key file works' },
};

const revealSeconds = 30;
const keyFileLimit = 64 * 1024;

/**
 * The credential kind typed here for `method` at `provider`, or null when it takes none yet. The catalog entry
 * says which kind each method stores; an OAuth token comes from a sign-in, never from fields.
 */
export function credentialKind(provider, method) {
    const kind = provider.authMethods?.find((o) => o.method === method)?.credentialKind ?? null;
    return kind && credentialFields[kind] ? kind : null;
}

function typed(field, values) {
    const value = values[field.name] ?? '';
    return field.multiline ? value : value.trim();
}

function when(iso) {
    const date = new Date(iso);
    return Number.isNaN(date.getTime()) ? iso ?? '' : date.toLocaleString();
}

/**
 * An account's credential: the stored one as metadata only (its hint and age), Reveal for 30 seconds and Copy,
 * each after a confirmation and audited by the server, Confirm key after a base URL change, and the fields
 * for a new one. Set `provider` and `account` (null for a new account), then `show(method, note)`.
 * `read()` gives the typed credential. Leaving a credential field while a typed secret is in it tests the
 * credential as it would be saved (POST /api/providers/{provider}/test, nothing stored) and says how it went
 * under the secret's field; `draftContext()` (set by the editor) gives the form's `{baseUrl, authMethod}`.
 * Fires `confirm-key` (the editor stores the confirmation) and `credential-problem` (detail: {error}) when the
 * server refuses a reveal or copy, or a test because the session ended.
 */
export class AccountCredential extends HTMLElement {
    provider = null;
    account = null;
    draftContext = null;
    #kind = null;
    #drafts = {};
    #timer = 0;
    // The draft test: a new number whenever what was typed changes, so a late answer for older input is dropped.
    #testSeq = 0;
    #tested = null;

    constructor() {
        super();
        this.addEventListener('click', (event) => this.#onClick(event));
        this.addEventListener('change', (event) => {
            if (event.target.matches('[data-op="key-file"]')) this.#readKeyFile(event.target);
        });
        this.addEventListener('input', (event) => {
            if (event.target.matches('[data-cred]')) this.#typedAgain();
        });
        this.addEventListener('focusout', (event) => {
            if (event.target.matches('[data-cred]')) this.#left(event);
        });
    }

    disconnectedCallback() {
        clearTimeout(this.#timer);
    }

    /** The kind of the fields shown, or null. */
    get kind() { return this.#kind; }

    /** Shows the fields for `method` (what was typed for another kind is kept); `note` when it takes none yet. */
    show(method, note = '') {
        if (this.#kind) this.#drafts[this.#kind] = this.values();
        this.#hide();
        this.#typedAgain();
        const kind = method ? credentialKind(this.provider, method) : null;
        this.#kind = kind;
        const stored = this.account?.credential ?? null;
        const replacing = kind && stored?.kind === kind;
        render(this, html`
            ${stored ? this.#stored(stored) : ''}
            ${kind ? html`
                <fieldset class="group account-credential__fields" aria-describedby="acct-credential-help acct-credential-messages">
                    <legend>${replacing ? `Replace the ${secretNouns[kind]}` : kindTitles[kind]}</legend>
                    <p class="field__help" id="acct-credential-help">${replacing
                        ? `Leave empty to keep the stored ${secretNouns[kind]}. A new one replaces it when you save; there is no need to disconnect first.`
                        : 'Stored encrypted on the server. After saving it is never shown here again.'}</p>
                    ${credentialFields[kind].map((field) => this.#field(field))}
                    ${kind === 'service_account' ? html`
                        <div class="field">
                            <label for="acct-cred-file">Load from a key file</label>
                            <input id="acct-cred-file" type="file" accept=".json,application/json" data-op="key-file"
                                   aria-describedby="acct-cred-file-problem">
                            <p class="field__error" id="acct-cred-file-problem" hidden></p>
                        </div>` : ''}
                    <div class="field__messages" id="acct-credential-messages" data-messages="/credential"></div>
                </fieldset>` : html`
                ${note ? html`<p class="muted">${note}.</p>` : ''}
                <div class="field__messages" id="acct-credential-messages" data-messages="/credential"></div>`}`);
        if (kind && this.#drafts[kind]) this.restore(this.#drafts[kind]);
    }

    /** What the fields hold now, by field name. */
    values() {
        const values = {};
        for (const input of this.querySelectorAll('[data-cred]')) values[input.dataset.cred] = input.value;
        return values;
    }

    restore(values) {
        for (const input of this.querySelectorAll('[data-cred]')) {
            if (input.dataset.cred in values) input.value = values[input.dataset.cred];
        }
    }

    /**
     * The credential typed into the fields, or null when none was (an initial value alone is not one). With
     * a stored credential of the same kind, an empty main secret stays as stored (a new region or endpoint
     * does not need the secret typed again).
     */
    read() {
        if (!this.#kind) return null;
        const values = this.values();
        if (!credentialFields[this.#kind].some((f) => !f.initial && typed(f, values) !== '')) return null;
        return this.#credential(this.#kind, values);
    }

    /** The stored credential as it is, confirmed for a new base URL: its placeholder and what else is typed. */
    confirmation() {
        const kind = this.account?.credential?.kind;
        return kind ? this.#credential(kind, kind === this.#kind ? this.values() : {}) : null;
    }

    #credential(kind, values) {
        const credential = { kind };
        for (const f of credentialFields[kind] ?? []) if (typed(f, values) !== '') credential[f.name] = typed(f, values);
        const main = mainSecret[kind];
        const stored = this.account?.credential;
        if (main && !credential[main] && stored?.kind === kind) {
            credential[main] = stored.hint?.startsWith(redactionMark) ? stored.hint : redactionMark;
        }
        return credential;
    }

    #field(field) {
        const id = `acct-cred-${field.name}`;
        const common = html`id="${id}" data-cred="${field.name}" autocomplete="off" spellcheck="false" autocapitalize="off"
            aria-describedby="${field.secret ? `${id}-test ` : ''}${id}-messages"`;
        return html`
            <div class="field">
                <label for="${id}">${field.label}</label>
                ${field.multiline
                    ? html`<textarea ${common} rows="6" class="account-credential__json" placeholder="{&quot;type&quot;: &quot;service_account&quot;, …}"></textarea>`
                    : html`<input ${common} type="${field.secret ? 'password' : 'text'}" value="${field.initial ?? ''}"
                                  placeholder="${field.placeholder ?? ''}">`}
                ${field.secret ? html`
                    <div class="credential-test" id="${id}-test" data-test-for="${field.name}" role="status" aria-live="polite"></div>` : ''}
                <div class="field__messages" id="${id}-messages" data-messages="/credential/${field.name}"></div>
            </div>`;
    }

    #stored(stored) {
        const noun = secretNouns[stored.kind] ?? 'credential';
        const unreadable = stored.readable === false;
        return html`
            <div class="credential-stored" data-stored>
                <p class="credential-stored__summary">
                    <span class="credential-stored__label">Stored ${noun}</span>
                    <code class="credential-stored__hint" data-hint>${stored.hint}</code>
                    <span class="muted">updated <time datetime="${stored.updatedAt}">${when(stored.updatedAt)}</time></span>
                </p>
                ${unreadable ? html`
                    <p class="field__error">The stored ${noun} cannot be opened (the master key is missing or wrong, or the file is damaged). Type a new one to replace it.</p>` : ''}
                ${stored.needsConfirmation ? html`
                    <div class="credential-stored__confirm">
                        <p class="field__warning" id="acct-confirm-note">The base URL changed; confirm the key for the new address.</p>
                        <button type="button" class="button button--small" data-op="confirm-key" aria-describedby="acct-confirm-note">Confirm key</button>
                    </div>` : ''}
                <div class="credential-stored__actions">
                    <button type="button" class="button button--small" data-op="reveal" ${unreadable ? html`disabled` : ''}>Reveal</button>
                    <button type="button" class="button button--small" data-op="copy" ${unreadable ? html`disabled` : ''}>Copy</button>
                </div>
                <div class="credential-revealed" data-revealed-box hidden>
                    <code class="credential-revealed__value" data-revealed></code>
                    <p class="muted credential-revealed__note">Hidden again in ${revealSeconds} seconds.
                        <button type="button" class="button button--small" data-op="hide">Hide</button></p>
                </div>
                <p class="field__error" data-copy-problem role="alert" hidden></p>
                <p class="field__note" data-copy-done hidden></p>
            </div>`;
    }

    // MARK: Testing what is typed

    /** The input changed: an answer still on its way is for older input, and a shown one no longer applies. */
    #typedAgain() {
        this.#testSeq += 1;
        this.#tested = null;
        for (const box of this.querySelectorAll('[data-test-for]')) box.replaceChildren();
    }

    /** The secret field that holds a typed secret (not the stored one's placeholder): the main one first. */
    #typedSecret(values) {
        const fields = (credentialFields[this.#kind] ?? []).filter((f) => f.secret);
        const main = mainSecret[this.#kind];
        fields.sort((a, b) => (b.name === main) - (a.name === main));
        return fields.find((f) => {
            const value = typed(f, values);
            return value !== '' && !value.startsWith(redactionMark);
        }) ?? null;
    }

    /** What is missing before the credential can be tested, as a sentence, or ''. */
    #missing(credential) {
        const labels = (testable[this.#kind]?.required ?? [])
            .filter((name) => !credential[name])
            .map((name) => credentialFields[this.#kind].find((f) => f.name === name)?.label ?? name);
        if (labels.length) return `Fill in ${labels.join(' and ')} to test ${this.#kind === 'aws' ? 'the keys' : 'the key'}.`;
        if (this.#kind === 'service_account') {
            try {
                const parsed = JSON.parse(credential.json);
                if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return '';
            } catch {
                // Not JSON: said below.
            }
            return 'The key file is not JSON yet, so it was not tested.';
        }
        return '';
    }

    /**
     * A credential field was left: with a typed secret, test the credential as it would be saved. Leaving for
     * Save tests nothing (the save follows); the same draft is tested once, however often it is left.
     */
    #left(event, { again = false } = {}) {
        if (!testable[this.#kind] || !this.provider) return;
        if (event?.relatedTarget?.closest?.('[data-op="save"]')) return;
        const values = this.values();
        const secret = this.#typedSecret(values);
        if (!secret) return;
        const box = this.querySelector(`[data-test-for="${CSS.escape(secret.name)}"]`);
        if (!box) return;
        const credential = this.read();
        const missing = credential ? this.#missing(credential) : '';
        if (!credential || missing) {
            if (event?.target?.dataset.cred === secret.name && missing) {
                render(box, html`<p class="field__note test-result__pending">${missing}</p>`);
            }
            return;
        }
        const { baseUrl, authMethod } = this.draftContext?.() ?? {};
        const draft = { credential };
        if (baseUrl) draft.baseUrl = baseUrl;
        if (authMethod) draft.authMethod = authMethod;
        // A stored secret's placeholder stands in for it: the server finds it by the account.
        if (this.account && Object.values(credential).some((v) => typeof v === 'string' && v.startsWith(redactionMark))) {
            draft.account = this.account.id;
        }
        const signature = JSON.stringify(draft);
        if (!again && this.#tested === signature) return;
        this.#tested = signature;
        this.#test(draft, box, secret);
    }

    async #test(draft, box, secret) {
        const seq = ++this.#testSeq;
        const noun = secretNouns[this.#kind] ?? 'key';
        box.setAttribute('aria-busy', 'true');
        render(box, html`<p class="field__note test-result__pending">Testing the ${noun}…</p>`);
        let view;
        try {
            const result = await api.testDraftCredential(this.provider.id, draft);
            view = html`${draftTestResult(result, testable[this.#kind]?.works)}`;
            if (!result.ok) view = html`${view}${this.#retestButton(secret)}`;
        } catch (error) {
            const first = error.errors?.[0]?.message;
            view = html`${refusedTest(first ? { title: error.title, detail: first } : error, `The ${noun} was not tested`)}${this.#retestButton(secret)}`;
        } finally {
            if (seq === this.#testSeq) box.removeAttribute('aria-busy');
        }
        // Typed again (or re-rendered) meanwhile: this answer is for input that is gone.
        if (seq !== this.#testSeq || !box.isConnected) return;
        render(box, view);
    }

    #retestButton(secret) {
        return html`<p class="test-result__again"><button type="button" class="button button--small" data-op="retest"
            aria-describedby="acct-cred-${secret.name}-test">Test again</button></p>`;
    }

    // MARK: Reveal and Copy

    #hide() {
        clearTimeout(this.#timer);
        this.#timer = 0;
        const box = this.querySelector('[data-revealed-box]');
        if (!box) return;
        box.querySelector('[data-revealed]').textContent = '';
        box.hidden = true;
    }

    async #reveal() {
        const account = this.account;
        const noun = secretNouns[account.credential?.kind] ?? 'key';
        const confirmed = await confirmDialog({
            title: `Reveal the ${noun}?`,
            body: html`
                <p>The ${noun} of <strong>${account.displayName}</strong> will be shown on screen and this is recorded in the audit log.</p>
                <p>Make sure nobody else can see your screen. It is hidden again after ${revealSeconds} seconds.</p>`,
            confirm: `Reveal ${noun}`,
        });
        if (!confirmed || !this.isConnected) return;
        let secret;
        try {
            secret = await api.revealCredential(account.id);
        } catch (error) {
            this.#problem(error);
            return;
        }
        const box = this.querySelector('[data-revealed-box]');
        if (!box || account !== this.account) return;
        box.querySelector('[data-revealed]').textContent = secret.value;
        box.hidden = false;
        clearTimeout(this.#timer);
        this.#timer = setTimeout(() => {
            this.#hide();
            announce(`The ${noun} is hidden again`);
        }, revealSeconds * 1000);
        box.querySelector('[data-op="hide"]').focus();
        announce(`The ${noun} is shown for ${revealSeconds} seconds`);
    }

    async #copy() {
        const account = this.account;
        const noun = secretNouns[account.credential?.kind] ?? 'key';
        const problem = this.querySelector('[data-copy-problem]');
        const done = this.querySelector('[data-copy-done]');
        problem.hidden = true;
        done.hidden = true;
        const refused = () => {
            problem.textContent = `The browser did not allow copying to the clipboard, so the ${noun} was not copied. It is not shown here either; use Reveal to read it.`;
            problem.hidden = false;
        };
        // Without a clipboard there is nothing to ask the server for.
        if (!navigator.clipboard?.writeText) {
            refused();
            return;
        }
        const confirmed = await confirmDialog({
            title: `Copy the ${noun}?`,
            body: html`<p>Copied secrets can end up in clipboard history. This is recorded in the audit log.</p>`,
            confirm: `Copy ${noun}`,
        });
        if (!confirmed || !this.isConnected) return;
        let secret;
        try {
            secret = await api.copyCredential(account.id);
        } catch (error) {
            this.#problem(error);
            return;
        }
        try {
            await navigator.clipboard.writeText(secret.value);
        } catch {
            refused();
            return;
        }
        done.textContent = `The ${noun} is on the clipboard.`;
        done.hidden = false;
        announce(`The ${noun} of ${account.displayName} is copied to the clipboard`);
    }

    #problem(error) {
        this.dispatchEvent(new CustomEvent('credential-problem', { bubbles: true, detail: { error } }));
    }

    async #readKeyFile(input) {
        const file = input.files?.[0];
        const problem = this.querySelector('#acct-cred-file-problem');
        problem.hidden = true;
        input.removeAttribute('aria-invalid');
        if (!file) return;
        try {
            if (file.size > keyFileLimit) throw new RangeError('too large');
            const area = this.querySelector('[data-cred="json"]');
            area.value = await file.text();
            area.dispatchEvent(new Event('input', { bubbles: true }));
            announce(`${file.name} loaded into the key field`);
        } catch {
            problem.textContent = `${file.name} could not be read as a key file (at most 64 KB of JSON).`;
            problem.hidden = false;
            input.setAttribute('aria-invalid', 'true');
        } finally {
            // The key stays in the text field only; the file picker forgets it.
            input.value = '';
        }
    }

    #onClick(event) {
        const button = event.target.closest('button[data-op]');
        if (!button) return;
        switch (button.dataset.op) {
        case 'reveal':
            this.#reveal();
            break;
        case 'hide':
            this.#hide();
            this.querySelector('[data-op="reveal"]')?.focus();
            break;
        case 'copy':
            this.#copy();
            break;
        case 'confirm-key':
            this.dispatchEvent(new CustomEvent('confirm-key', { bubbles: true }));
            break;
        case 'retest': {
            // The button goes while the test runs: the focus waits in the field whose value is tested.
            const field = button.closest('.field')?.querySelector('[data-cred]');
            field?.focus();
            this.#left(null, { again: true });
            break;
        }
        default:
        }
    }
}

customElements.define('account-credential', AccountCredential);
