import { api } from '../../api.js';
import { announce } from '../../lib/announce.js';
import { copyable, copyFrom } from '../../lib/copy.js';
import { html, render } from '../../lib/html.js';
import { connectedAccount, refusal } from '../oauth-sign-in/outcome.js';
import { expiredCode } from '../oauth-sign-in/sign-in-words.js';

const pollMs = 2000;

let panels = 0;

/** `ABCDEFGHJ` as `ABC-DEF-GHJ`; a code that comes grouped stays as it is. */
export function groupedCode(code) {
    const text = String(code ?? '');
    if (text.includes('-') || text.length <= 4) return text;
    return text.match(/.{1,3}/g).join('-');
}

function countdown(ms) {
    const seconds = Math.max(0, Math.ceil(ms / 1000));
    return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}

/**
 * Pairing from another machine: a short code and the exact `switchboard auth pair` command to run on a machine
 * that has a browser; the page counts down to the code's expiry, offers a new code, and polls
 * GET /api/pairing/{id} every 2 s until the other machine has delivered the credential. Set `provider` and
 * `account` (null for a new account). Fires `sign-in-request` (detail: {kind: 'pairing'}; the editor creates a
 * new account first, then calls `begin()`) and `signed-in` (detail: {account, id, tested}).
 */
export class PairingPanel extends HTMLElement {
    provider = null;
    account = null;
    #id = ++panels;
    #pairing = null;
    #seq = 0;
    #timer = 0;
    #clock = 0;

    constructor() {
        super();
        this.addEventListener('click', (event) => this.#onClick(event));
    }

    connectedCallback() {
        if (this.firstElementChild) return;
        render(this, html`
            <div class="pairing" data-state="idle">
                <p class="pairing__intro">Use this when the browser you are using cannot sign in to ${this.provider.name} for this
                    server (a headless server, a callback the provider cannot reach): run a command on a machine that has a browser,
                    sign in or type a key there, and the credential arrives here encrypted.</p>
                <div class="pairing__actions" data-actions>
                    <button type="button" class="button button--primary" data-op="pairing-start">Pair from another machine</button>
                </div>
                <div class="pairing__body" data-body></div>
                <p class="pairing__status" data-pairing-status role="status" aria-live="polite"></p>
            </div>`);
    }

    disconnectedCallback() {
        this.#stop();
    }

    /** Asks for a pairing code now. */
    async begin() {
        this.#stop();
        const seq = this.#seq;
        this.#setState('starting');
        this.#status('Asking for a pairing code…');
        let pairing;
        try {
            pairing = await api.createPairing(this.provider.id, this.account?.id ?? null);
        } catch (error) {
            if (seq === this.#seq) this.#refused(error, 'No pairing code was issued');
            return;
        }
        if (seq !== this.#seq) return;
        this.#show(pairing);
        this.querySelector('[data-pairing-code]')?.focus();
    }

    #stop() {
        this.#seq += 1;
        clearTimeout(this.#timer);
        clearInterval(this.#clock);
    }

    #status(text) {
        const status = this.querySelector('[data-pairing-status]');
        if (status && status.textContent !== text) status.textContent = text;
    }

    #setState(state) {
        this.querySelector('.pairing').dataset.state = state;
    }

    /** A pairing with its code (from create or refresh): the code, the command, the countdown; polling starts. */
    #show(pairing) {
        this.#pairing = pairing;
        this.#setState('waiting');
        render(this.querySelector('[data-actions]'), html`
            <button type="button" class="button" data-op="pairing-refresh">Get a new code</button>
            <button type="button" class="button button--quiet" data-op="pairing-cancel">Cancel</button>`);
        render(this.querySelector('[data-body]'), html`
            <div class="pairing__step">
                <p id="pairing-${this.#id}-command-label">On a machine with a browser, run:</p>
                ${copyable(`pairing-${this.#id}-command`, pairing.command ?? '', 'Copy the command')}
            </div>
            <div class="pairing__step">
                <p id="pairing-${this.#id}-code-label">When it asks, type this pairing code:</p>
                <p class="pairing__code" data-pairing-code tabindex="-1">${groupedCode(pairing.code)}</p>
                <p class="pairing__expiry muted" data-pairing-expiry></p>
            </div>`);
        this.#tick();
        clearInterval(this.#clock);
        this.#clock = setInterval(() => this.#tick(), 1000);
        this.#status('Waiting for the other machine…');
        announce(`Pairing code ${groupedCode(pairing.code)}; it expires in ${countdown(this.#left())} minutes`);
        this.#later(pollMs);
    }

    #left() {
        const at = Date.parse(this.#pairing?.expiresAt ?? '');
        return Number.isNaN(at) ? Infinity : at - Date.now();
    }

    /** The countdown; at zero the code is expired whatever the next poll says. */
    #tick() {
        const box = this.querySelector('[data-pairing-expiry]');
        const left = this.#left();
        if (!box) return;
        if (left === Infinity) {
            box.textContent = '';
        } else if (left <= 0) {
            this.#expired();
        } else {
            box.textContent = `Expires in ${countdown(left)}`;
        }
    }

    #later(ms) {
        clearTimeout(this.#timer);
        const seq = this.#seq;
        this.#timer = setTimeout(() => {
            if (seq === this.#seq && this.isConnected) this.#poll(seq);
        }, ms);
    }

    async #poll(seq) {
        let pairing;
        try {
            pairing = await api.pairing(this.#pairing.id);
        } catch (error) {
            if (seq !== this.#seq) return;
            if (error.status === 404 || error.status === 410) {
                this.#expired();
                return;
            }
            this.#status('Switchboard did not answer; still waiting for the other machine.');
            this.#later(pollMs * 2);
            return;
        }
        if (seq !== this.#seq) return;
        switch (pairing.status) {
        case 'completed':
            this.#connected(pairing.account);
            return;
        case 'expired':
            this.#expired();
            return;
        case 'burned':
            this.#expired('Too many wrong codes were typed, so this one no longer works — request a new code.');
            return;
        default:
            this.#later(pollMs);
        }
    }

    #expired(text = expiredCode) {
        this.#stop();
        this.#setState('expired');
        render(this.querySelector('[data-actions]'), html`
            <button type="button" class="button button--primary" data-op="pairing-refresh">Get a new code</button>`);
        render(this.querySelector('[data-body]'), html`
            <div class="field__error pairing__expired" data-pairing-expired><p>${text}</p></div>`);
        this.#status(text);
    }

    /** A new code for the same pairing (the old one stops working); a new pairing when that one is gone. */
    async #refresh() {
        const focused = this.contains(document.activeElement);
        this.#stop();
        const seq = this.#seq;
        const current = this.#pairing;
        this.#status('Asking for a new pairing code…');
        let pairing;
        try {
            pairing = current ? await api.refreshPairing(current.id) : await api.createPairing(this.provider.id, this.account?.id ?? null);
        } catch (error) {
            if (seq !== this.#seq) return;
            if (current && (error.status === 404 || error.status === 409 || error.status === 410)) {
                this.#pairing = null;
                this.#refresh();
                return;
            }
            this.#refused(error, 'No new pairing code was issued');
            return;
        }
        if (seq !== this.#seq) return;
        this.#show(pairing);
        if (focused) this.querySelector('[data-pairing-code]')?.focus();
    }

    async #connected(accountId) {
        this.#stop();
        this.#setState('completed');
        const { account, name } = await connectedAccount(accountId, this.provider.name);
        render(this.querySelector('[data-actions]'), html`
            <button type="button" class="button" data-op="pairing-start">Pair again</button>`);
        render(this.querySelector('[data-body]'), html`
            <p class="pairing__done" data-pairing-done><span aria-hidden="true">✓</span> Connected <strong>${name}</strong></p>`);
        this.#status(`Connected ${name}`);
        // The server tests what the other machine delivered before it answers that machine.
        this.dispatchEvent(new CustomEvent('signed-in', { bubbles: true, detail: { account, id: accountId, category: null, tested: true } }));
    }

    #refused(error, what) {
        this.#setState('failed');
        render(this.querySelector('[data-actions]'), html`
            <button type="button" class="button" data-op="pairing-start">Try again</button>`);
        render(this.querySelector('[data-body]'), html`
            <div class="field__error" data-pairing-problem>${refusal(error, what)}</div>`);
        this.#status(`${what}: ${error.title}`);
    }

    #onClick(event) {
        const button = event.target.closest('button[data-op]');
        if (!button || !this.contains(button)) return;
        switch (button.dataset.op) {
        case 'pairing-start':
            this.dispatchEvent(new CustomEvent('sign-in-request', { bubbles: true, detail: { kind: 'pairing' } }));
            break;
        case 'pairing-refresh':
            this.#refresh();
            break;
        case 'pairing-cancel':
            this.#stop();
            this.#pairing = null;
            this.#setState('idle');
            render(this.querySelector('[data-actions]'), html`
                <button type="button" class="button button--primary" data-op="pairing-start">Pair from another machine</button>`);
            this.querySelector('[data-body]').replaceChildren();
            this.#status('');
            this.querySelector('[data-op="pairing-start"]')?.focus();
            announce('Stopped waiting for the other machine; the code works until it expires');
            break;
        case 'copy-value':
            copyFrom(button);
            break;
        default:
        }
    }
}

customElements.define('pairing-panel', PairingPanel);
