import { api } from '../../api.js';
import { announce } from '../../lib/announce.js';
import { copyable, copyFrom } from '../../lib/copy.js';
import { html, render, withCode } from '../../lib/html.js';

const pollEvery = 1000;

const endings = {
    succeeded: 'Signed in.',
    failed: 'The sign-in failed.',
    cancelled: 'The sign-in was cancelled.',
    timed_out: 'The sign-in timed out.',
};

/** Only an https address the CLI printed becomes a link; anything else is shown as text. */
function safeLink(url) {
    try {
        const parsed = new URL(url);
        return parsed.protocol === 'https:' ? parsed.href : null;
    } catch {
        return null;
    }
}

function left(expiresAt) {
    const seconds = Math.max(0, Math.round((Date.parse(expiresAt) - Date.now()) / 1000));
    return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}

/**
 * One account's sign-in through its CLI, relayed: the page the CLI printed (a link and Copy), the device code if
 * it printed one, the question it waits on with a field to answer it, a countdown, what the CLI printed, and
 * Cancel. Polls while it runs; fires `cli-login-ended` (detail: {status}) when it ends.
 * Attributes: `tool`, `account`.
 */
export class CLILogin extends HTMLElement {
    #login = null;
    #timer = 0;
    #tick = 0;
    #sending = false;
    #misses = 0;

    get tool() { return this.getAttribute('tool'); }
    get account() { return this.getAttribute('account'); }

    connectedCallback() {
        this.addEventListener('click', (event) => this.#onClick(event));
        this.addEventListener('submit', (event) => this.#onSubmit(event));
    }

    disconnectedCallback() {
        clearTimeout(this.#timer);
        clearInterval(this.#tick);
    }

    /** Starts a sign-in (or shows the one already running). */
    async start() {
        this.#show(null, 'Starting the CLI’s sign-in…');
        try {
            this.#update(await api.startCLILogin(this.tool, this.account));
        } catch (error) {
            if (error.status === 409 && error.type?.endsWith('login-running')) {
                this.#update(await api.cliLogin(this.tool, this.account));
                return;
            }
            this.#show(null, null, error);
        }
    }

    #update(login) {
        const was = this.#login?.status;
        const same = this.#login && JSON.stringify({ ...this.#login, expiresAt: 0 }) === JSON.stringify({ ...login, expiresAt: 0 });
        this.#login = login;
        if (same && !this.querySelector('.error')) {
            this.#schedule(login, was);
            return;
        }
        const keep = this.querySelector('[data-login-input]');
        const typed = keep?.value ?? '';
        const focused = keep && document.activeElement === keep;
        this.#show(login);
        const input = this.querySelector('[data-login-input]');
        if (input && typed) input.value = typed;
        if (input && focused) input.focus();
        this.#schedule(login, was);
    }

    /** Polls again while it runs (the countdown ticks); says so once when it ended. */
    #schedule(login, was) {
        clearTimeout(this.#timer);
        clearInterval(this.#tick);
        if (login.status === 'running') {
            this.#timer = setTimeout(() => this.#poll(), pollEvery);
            this.#tick = setInterval(() => {
                const countdown = this.querySelector('[data-login-countdown]');
                if (countdown) countdown.textContent = left(login.expiresAt);
            }, 1000);
        } else if (was !== login.status) {
            announce(`${this.account}: ${endings[login.status] ?? login.status}`);
            this.dispatchEvent(new CustomEvent('cli-login-ended', { detail: { status: login.status }, bubbles: true }));
        }
    }

    async #poll() {
        try {
            this.#update(await api.cliLogin(this.tool, this.account));
        } catch (error) {
            // With several serve processes, a poll can reach one that did not start this sign-in (404): the next
            // may reach the one that did. A few misses in a row, or any other failure, is shown.
            this.#misses = error.status === 404 ? this.#misses + 1 : 99;
            if (this.#misses <= 5 && this.#login?.status === 'running') {
                this.#timer = setTimeout(() => this.#poll(), pollEvery);
                return;
            }
            this.#show(this.#login, null, error);
            return;
        }
        this.#misses = 0;
    }

    #show(login, pending = null, error = null) {
        const id = `cli-login-${this.account.replace(/[^a-z0-9]/gi, '-')}`;
        const link = login?.url ? safeLink(login.url) : null;
        const running = login?.status === 'running';
        render(this, html`
            <div class="cli-login" role="group" aria-labelledby="${id}-title">
                <p class="cli-login__title" id="${id}-title"><strong>Sign-in for ${this.account}</strong>
                    ${running ? html`<span class="muted"> · <span data-login-countdown>${left(login.expiresAt)}</span> left</span>` : ''}</p>
                ${pending ? html`<p class="muted" role="status">${pending}</p>` : ''}
                ${error ? html`<div class="error" role="alert"><p class="error__title">${error.title}</p>${error.detail ? html`<p>${withCode(error.detail)}</p>` : ''}</div>` : ''}
                ${login ? html`
                    <p class="cli-login__state" role="status" data-login-status="${login.status}">
                        ${running ? (login.url ? 'Waiting for you to finish signing in.' : 'Waiting for the CLI…') : (login.message ?? endings[login.status])}</p>
                    ${running && login.url ? html`
                        <ol class="cli-login__steps">
                            <li>Open the sign-in page on any computer:
                                ${link ? html`<a class="button button--small button--primary" href="${link}" target="_blank" rel="noopener noreferrer" data-login-url>Open the sign-in page</a>` : ''}
                                ${copyable(`${id}-url`, login.url, 'Copy the sign-in address', { shown: !link })}</li>
                            ${login.code ? html`<li>Enter this code there: ${copyable(`${id}-code`, login.code, 'Copy the code', { big: true })}</li>` : ''}
                            ${login.prompt ? html`
                                <li><form class="cli-login__answer" data-login-form>
                                    <label for="${id}-answer">The CLI asks: “${login.prompt}”</label>
                                    <div class="oauth-flow__paste-row">
                                        <input id="${id}-answer" type="text" autocomplete="off" spellcheck="false" data-login-input required>
                                        <button type="submit" class="button button--small">Send</button>
                                    </div>
                                    <p class="field__help muted">Paste what the sign-in page showed. It goes to the CLI only and is not shown again.</p>
                                </form></li>` : ''}
                        </ol>` : ''}
                    ${login.output ? html`
                        <details class="disclosure cli-login__output"><summary>What the CLI printed</summary>
                            <pre tabindex="0">${login.output}</pre></details>` : ''}
                    ${running ? html`<p><button type="button" class="button button--small" data-op="cancel-login">Cancel sign-in</button></p>` : ''}` : ''}
            </div>`);
    }

    async #onClick(event) {
        const button = event.target.closest('button');
        if (!button) return;
        if (button.dataset.op === 'copy-value') await copyFrom(button);
        if (button.dataset.op === 'cancel-login') {
            button.disabled = true;
            try {
                this.#update(await api.cancelCLILogin(this.tool, this.account));
            } catch (error) {
                this.#show(this.#login, null, error);
            }
        }
    }

    async #onSubmit(event) {
        const form = event.target.closest('[data-login-form]');
        if (!form) return;
        event.preventDefault();
        if (this.#sending) return;
        const input = form.querySelector('[data-login-input]');
        const text = input.value.trim();
        if (!text) return;
        this.#sending = true;
        try {
            input.value = '';
            this.#update(await api.sendCLILogin(this.tool, this.account, text));
            announce('Sent to the CLI');
        } catch (error) {
            input.value = text;
            this.#show(this.#login, null, error);
        } finally {
            this.#sending = false;
        }
    }
}

customElements.define('cli-login', CLILogin);
