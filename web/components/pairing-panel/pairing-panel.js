import { api } from '../../api.js';
import { announce } from '../../lib/announce.js';
import { copyable } from '../../lib/copy.js';
import { html, render } from '../../lib/html.js';
import { FlowPanel } from '../flow-panel/flow-panel.js';
import { expiredCode } from '../flow-panel/flow-words.js';

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

const startButton = (label) => html`
    <button type="button" class="button button--primary" data-op="pairing-start">${label}</button>`;

/**
 * Pairing from another machine: a short code and the exact `switchboard auth pair` command to run on a machine
 * that has a browser; the page counts down to the code's expiry, offers a new code, and polls
 * GET /api/pairing/{id} every 2 s until the other machine has delivered the credential. Set `provider` and
 * `account` (null for a new account). Fires `sign-in-request` (detail: {kind: 'pairing'}; the editor creates a
 * new account first, then calls `begin()`) and `signed-in` (detail: {account, id, tested}).
 */
export class PairingPanel extends FlowPanel {
    #id = ++panels;
    #pairing = null;

    connectedCallback() {
        if (this.firstElementChild) return;
        render(this, html`
            <div class="pairing" data-flow data-state="idle">
                <p class="pairing__intro">Use this when the browser you are using cannot sign in to ${this.provider.name} for this
                    server (a headless server, a callback the provider cannot reach): run a command on a machine that has a browser,
                    sign in or type a key there, and the credential arrives here encrypted.</p>
                <div class="pairing__actions" data-actions>${startButton('Pair from another machine')}</div>
                <div class="pairing__body" data-body></div>
                <p class="pairing__status" data-pairing-status data-flow-status role="status" aria-live="polite"></p>
            </div>`);
    }

    /** Asks for a pairing code now. */
    async begin() {
        const pairing = await this.start(() => api.createPairing(this.provider.id, this.account?.id ?? null), {
            view: { status: 'Asking for a pairing code…' }, what: 'No pairing code was issued',
        });
        if (!pairing) return;
        this.#show(pairing);
        this.querySelector('[data-pairing-code]')?.focus();
    }

    retryActions() {
        return html`<button type="button" class="button" data-op="pairing-start">Try again</button>`;
    }

    problemBox(markup) {
        return html`<div class="field__error" data-pairing-problem>${markup}</div>`;
    }

    /** A pairing with its code (from create or refresh): the code, the command, the countdown; polling starts. */
    #show(pairing) {
        this.#pairing = pairing;
        this.setState('waiting');
        this.show({
            actions: html`
                <button type="button" class="button" data-op="pairing-refresh">Get a new code</button>
                <button type="button" class="button button--quiet" data-op="pairing-cancel">Cancel</button>`,
            body: html`
                <div class="pairing__step">
                    <p id="pairing-${this.#id}-command-label">On a machine with a browser, run:</p>
                    ${copyable(`pairing-${this.#id}-command`, pairing.command ?? '', 'Copy the command')}
                </div>
                <div class="pairing__step">
                    <p id="pairing-${this.#id}-code-label">When it asks, type this pairing code:</p>
                    <p class="pairing__code" data-pairing-code tabindex="-1">${groupedCode(pairing.code)}</p>
                    <p class="pairing__expiry muted" data-pairing-expiry></p>
                </div>`,
        });
        this.every(1000, () => this.#tick());
        this.say('Waiting for the other machine…');
        announce(`Pairing code ${groupedCode(pairing.code)}; it expires in ${countdown(this.#left())} minutes`);
        this.#poll(pollMs);
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

    #poll(ms) {
        this.poll(ms, () => api.pairing(this.#pairing.id), (pairing) => {
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
                this.#poll(pollMs);
            }
        }, (error) => {
            if (error.status === 404 || error.status === 410) {
                this.#expired();
                return;
            }
            this.say('Switchboard did not answer; still waiting for the other machine.');
            this.#poll(pollMs * 2);
        });
    }

    #expired(text = expiredCode) {
        this.end('expired', {
            actions: html`<button type="button" class="button button--primary" data-op="pairing-refresh">Get a new code</button>`,
            body: html`<div class="field__error pairing__expired" data-pairing-expired><p>${text}</p></div>`,
            status: text,
        });
    }

    /** A new code for the same pairing (the old one stops working); a new pairing when that one is gone. */
    async #refresh() {
        const focused = this.contains(document.activeElement);
        const create = () => api.createPairing(this.provider.id, this.account?.id ?? null);
        const current = this.#pairing;
        const pairing = await this.start(async () => {
            if (!current) return create();
            try {
                return await api.refreshPairing(current.id);
            } catch (error) {
                if (error.status !== 404 && error.status !== 409 && error.status !== 410) throw error;
                this.#pairing = null;
                return create();
            }
        }, { view: { status: 'Asking for a new pairing code…' }, what: 'No new pairing code was issued', state: null });
        if (!pairing) return;
        this.#show(pairing);
        if (focused) this.querySelector('[data-pairing-code]')?.focus();
    }

    #connected(accountId) {
        // The server tests what the other machine delivered before it answers that machine.
        this.connected(accountId, (name) => ({
            actions: html`<button type="button" class="button" data-op="pairing-start">Pair again</button>`,
            body: html`<p class="pairing__done" data-pairing-done><span aria-hidden="true">✓</span> Connected <strong>${name}</strong></p>`,
            status: `Connected ${name}`,
        }), { tested: true });
    }

    clicked(op) {
        switch (op) {
        case 'pairing-start':
            this.dispatchEvent(new CustomEvent('sign-in-request', { bubbles: true, detail: { kind: 'pairing' } }));
            break;
        case 'pairing-refresh':
            this.#refresh();
            break;
        case 'pairing-cancel':
            this.#pairing = null;
            this.end('idle', { actions: startButton('Pair from another machine'), body: null, status: '' });
            this.querySelector('[data-op="pairing-start"]')?.focus();
            announce('Stopped waiting for the other machine; the code works until it expires');
            break;
        default:
        }
    }
}

customElements.define('pairing-panel', PairingPanel);
