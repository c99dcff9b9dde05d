import { api } from '../../api.js';
import { announce } from '../../lib/announce.js';
import { copyable } from '../../lib/copy.js';
import { html, render, withCode } from '../../lib/html.js';
import { FlowPanel } from '../flow-panel/flow-panel.js';
import { categorySentence, expiredCode, failureText, neverCameBack } from '../flow-panel/flow-words.js';
import './oauth-client-form.js';

const pollMs = 2000;

/** How long a browser sign-in waits for the provider to send the browser back before the page says it did not. */
export const callbackPatienceMs = 3 * 60 * 1000;

let panels = 0;

/** `url` when it is an http(s) address (it goes into an href), else null. */
function linkable(url) {
    return typeof url === 'string' && /^https?:\/\//i.test(url) ? url : null;
}

/**
 * OAuth sign-in for one provider's account: "Sign in with <Provider>" opens the provider's sign-in page in a
 * new tab and waits (GET /api/oauth/flows/{id} every 2 s) until it sends the browser back; a blocked pop-up
 * gets a link instead; in paste-code mode the code the provider shows is pasted here; a device code is
 * offered where the provider has one (POST …/poll at the provider's interval). Every failure is said in plain
 * words where it happened. Set `provider` (catalog entry) and `account` (null for a new account).
 * Fires `sign-in-request` (detail: {kind: 'browser'|'device'}; the editor creates a new account first, then
 * calls `begin(kind)`), `signed-in` (detail: {account, id, category}: the account view, its id, and `insufficient_scope` when a
 * permission is missing) and `pairing-request`.
 */
export class OAuthSignIn extends FlowPanel {
    callbackPatience = callbackPatienceMs;
    #mode = 'browser';
    #id = ++panels;
    #client = null;
    #flow = null;
    #state = 'idle';

    constructor() {
        super();
        // The panel sits inside the account form: Enter in the paste field finishes the sign-in, not a save.
        this.addEventListener('keydown', (event) => {
            if (event.key === 'Enter' && event.target.matches('[data-paste]')) {
                event.preventDefault();
                this.#paste();
            }
        });
    }

    connectedCallback() {
        if (this.firstElementChild) return;
        render(this, html`
            <div class="oauth-flow" data-flow data-state="idle">
                <p class="oauth-flow__intro">Sign in at ${this.provider.name} in a new tab. Switchboard keeps the tokens encrypted
                    on this server; they are never shown here.</p>
                <div class="oauth-flow__actions" data-actions></div>
                <div class="oauth-flow__body" data-body></div>
                <p class="oauth-flow__status" data-sign-in-status data-flow-status role="status" aria-live="polite"></p>
            </div>`);
        // The operator's own OAuth app: a save or a revert changes the client the next sign-in uses.
        const clientForm = document.createElement('oauth-client-form');
        clientForm.provider = this.provider;
        clientForm.addEventListener('oauth-client-changed', () => this.#loadClient());
        this.append(clientForm);
        this.#renderIdle();
        this.#loadClient();
    }

    /** What the panel offers first: `browser` (Sign in with …) or `device` (Get a device code). */
    get mode() { return this.#mode; }

    set mode(mode) {
        this.#mode = mode === 'device' ? 'device' : 'browser';
        if (this.#state === 'idle' && this.firstElementChild) this.#renderIdle();
    }

    /** Starts a sign-in now: `browser` (a new tab at the provider) or `device` (a code to type at the provider). */
    begin(kind) {
        if (kind === 'device') this.#startDevice();
        else this.#startBrowser();
    }

    get #name() { return this.provider.name; }

    /** A device code is offered when the provider's OAuth client has a device endpoint (or the catalog says so). */
    get #deviceOffered() {
        if (this.#flow?.start?.deviceCode) return true;
        if (this.#client) return Boolean(this.#client.deviceAuthorizationUrl);
        return (this.provider.authMethods ?? []).some((o) => o.method === 'oauth_device_code' && o.status !== 'phased');
    }

    get #pairingOffered() {
        return (this.provider.authMethods ?? []).some((o) => o.method === 'pairing');
    }

    async #loadClient() {
        const form = this.querySelector('oauth-client-form');
        try {
            const { clients } = await api.oauthClients();
            this.#client = (clients ?? []).find((c) => c.provider === this.provider.id) ?? null;
        } catch (error) {
            // Only a nicety (the redirect URI up front, the device code button): the sign-in works without.
            form?.failed(error);
            return;
        }
        if (form) form.client = this.#client;
        if (this.#state === 'idle' && this.isConnected) this.#renderIdle();
    }

    /** The flow's state, kept here too: the idle panel follows the OAuth client and the mode. */
    setState(state) {
        this.#state = state;
        super.setState(state);
    }

    // MARK: Rendering

    #startButtons({ again = false } = {}) {
        if (this.#mode === 'device' && !again) {
            return html`
                <button type="button" class="button button--primary" data-op="device-start">Get a device code</button>
                <button type="button" class="button" data-op="oauth-start">Sign in in this browser instead</button>`;
        }
        return html`
            <button type="button" class="button ${again ? '' : 'button--primary'}" data-op="oauth-start">${again ? 'Start again' : `Sign in with ${this.#name}`}</button>
            ${this.#deviceOffered ? html`
                <button type="button" class="button" data-op="device-start">Use a device code instead</button>` : ''}`;
    }

    #redirectHint(uri) {
        if (!uri) return '';
        return html`
            <div class="oauth-flow__redirect" data-redirect-hint>
                <p class="field__help" id="sign-in-${this.#id}-redirect-help">If the provider says the redirect URI does not match,
                    register exactly this URI in your OAuth app:</p>
                ${copyable(`sign-in-${this.#id}-redirect`, uri, 'Copy the redirect URI')}
            </div>`;
    }

    #renderIdle() {
        this.setState('idle');
        render(this.querySelector('[data-actions]'), this.#startButtons());
        const client = this.#client;
        if (this.#mode === 'device') {
            render(this.querySelector('[data-body]'), html`
                <p class="muted">Switchboard asks ${this.#name} for a short code; you type it at ${this.#name}’s device page, on this
                    or any other device, and sign in there.</p>
                ${client && !client.deviceAuthorizationUrl ? html`
                    <p class="field__warning">The OAuth client set for ${this.#name} has no device authorization endpoint, so ${this.#name}
                        may refuse to issue a code. Sign in in this browser, or pair from another machine.</p>` : ''}`);
            this.say('');
            return;
        }
        render(this.querySelector('[data-body]'), html`
            ${client?.redirectMode === 'paste_code' ? html`
                <p class="muted">After you sign in, ${this.#name} shows a code: paste it here to finish.</p>` : ''}
            ${client?.redirectMode === 'loopback' ? html`
                <p class="muted">This uses ${this.#name}’s own CLI sign-in: after you sign in, your browser goes to a local address
                    that does not open; paste that address here to finish${this.#pairingOffered ? ', or pair from another machine' : ''}.</p>` : ''}
            ${client?.redirectMode === 'server_callback' ? this.#redirectHint(client.redirectUri) : ''}`);
        this.say('');
    }

    /** What the panel shows while the server starts a flow: `text`, and Cancel. */
    #busy(text) {
        return { actions: html`<button type="button" class="button" data-op="cancel">Cancel</button>`, body: null, status: text };
    }

    /** The paste field; `address` when it takes the address the browser ended on rather than a shown code. */
    #pasteField({ address = false } = {}) {
        const id = `sign-in-${this.#id}-paste`;
        return html`
            <div class="field oauth-flow__paste">
                <label for="${id}">${address ? 'Paste the address your browser ended on' : 'Paste the code the provider showed you'}</label>
                <p class="field__help" id="${id}-help">${address
                    ? 'After signing in, the browser went to an address starting with the redirect URI; copy it from the address bar.'
                    : 'The whole address the provider sent you to works too.'}</p>
                <div class="oauth-flow__paste-row">
                    <input type="text" id="${id}" data-paste autocomplete="off" spellcheck="false" autocapitalize="off"
                           aria-describedby="${id}-help ${id}-messages">
                    <button type="button" class="button" data-op="paste">Finish signing in</button>
                </div>
                <div class="field__messages" id="${id}-messages" data-paste-messages></div>
            </div>`;
    }

    /** Re-renders the body for the browser flow's state; what is typed into the paste field stays. */
    #renderBrowser() {
        const flow = this.#flow;
        const start = flow.start;
        const paste = start.redirectMode === 'paste_code';
        const loopback = start.redirectMode === 'loopback';
        const link = linkable(start.authorizeUrl);
        const typed = this.querySelector('[data-paste]')?.value ?? '';
        render(this.querySelector('[data-actions]'), html`
            ${flow.late ? html`${this.#startButtons({ again: true })}` : html`
                <button type="button" class="button" data-op="oauth-start">Start again</button>`}
            <button type="button" class="button button--quiet" data-op="cancel">Cancel</button>`);
        render(this.querySelector('[data-body]'), html`
            ${flow.blocked ? html`
                <div class="field__warning oauth-flow__blocked" data-popup-blocked>
                    <p>The browser blocked the sign-in window.</p>
                    ${link ? html`
                        <p class="oauth-flow__link"><a href="${link}" target="_blank" rel="noopener noreferrer" data-authorize-link>Open the sign-in page in a new tab</a>
                            ${copyable(`sign-in-${this.#id}-authorize`, link, 'Copy the sign-in address', { shown: false })}</p>` : ''}
                    ${start.deviceCode ? html`
                        <p>Or sign in with a code instead: <button type="button" class="button button--small" data-op="device-start">Use a device code</button></p>` : ''}
                </div>` : html`
                <p class="oauth-flow__opened">The sign-in page of ${this.#name} opened in a new tab: finish signing in there.
                    ${link ? html`<a href="${link}" target="_blank" rel="noopener noreferrer" data-authorize-link>Open it again</a>` : ''}</p>`}
            ${flow.late ? html`
                <div class="field__warning oauth-flow__late" data-sign-in-late>
                    <p>${neverCameBack}</p>
                    <p>${this.#pairingOffered ? 'Pair from another machine instead, or paste' : 'Paste'} the address your browser ended on below.</p>
                    ${this.#pairingOffered ? html`
                        <p><button type="button" class="button button--small" data-op="pairing-request">Pair from another machine</button></p>` : ''}
                </div>` : ''}
            ${loopback ? html`
                <p class="oauth-flow__loopback">After you sign in, ${this.#name} sends your browser to a local address starting with
                    <code>${start.redirectUri}</code> that does not open: copy that address from the address bar and paste it below.</p>
                ${this.#pairingOffered ? html`
                    <p>Or let another machine do it: <button type="button" class="button button--small" data-op="pairing-request">Pair from another machine</button></p>` : ''}` : ''}
            ${paste || loopback || flow.late ? this.#pasteField({ address: !paste }) : ''}
            ${loopback ? '' : this.#redirectHint(start.redirectUri)}`);
        const input = this.querySelector('[data-paste]');
        if (input) input.value = typed;
    }

    #renderDevice() {
        const device = this.#flow.device;
        const verify = linkable(device.verificationUri);
        const complete = linkable(device.verificationUriComplete);
        render(this.querySelector('[data-actions]'), html`
            <button type="button" class="button" data-op="device-start">Get a new code</button>
            <button type="button" class="button button--quiet" data-op="cancel">Cancel</button>`);
        render(this.querySelector('[data-body]'), html`
            <div class="device-code" data-device-code>
                <p>On this or any other device, open ${verify
                    ? html`<a href="${verify}" target="_blank" rel="noopener noreferrer" data-verification-uri>${verify}</a>`
                    : html`the provider’s device page`} and enter this code:</p>
                ${copyable(`sign-in-${this.#id}-user-code`, device.userCode ?? '', 'Copy the code', { big: true })}
                ${complete ? html`
                    <p><a href="${complete}" target="_blank" rel="noopener noreferrer" data-verification-complete>Open the page with the code filled in</a></p>` : ''}
            </div>`);
    }

    // MARK: Browser sign-in

    async #startBrowser() {
        // Opened now, while the press still counts as the user's: a window opened after the answer arrives may be blocked.
        let popup = null;
        try {
            popup = window.open('', '_blank');
        } catch {
            popup = null;
        }
        if (popup) {
            try {
                popup.opener = null;
            } catch {
                // Already cross-origin: it has no way back to this page anyway.
            }
        }
        const start = await this.start(() => api.startOAuth(this.provider.id, this.account?.id ?? null), {
            view: this.#busy(`Starting the sign-in at ${this.#name}…`), what: 'The sign-in did not start',
        });
        if (!start) {
            popup?.close?.();
            return;
        }
        let blocked = !popup;
        if (popup) {
            try {
                popup.location.href = start.authorizeUrl;
            } catch {
                blocked = true;
            }
        }
        this.#flow = { kind: 'browser', flowId: start.flowId, start, startedAt: Date.now(), blocked, late: false };
        this.setState('waiting');
        this.#renderBrowser();
        if (blocked) {
            this.say('The browser blocked the sign-in window: open the sign-in page with the link.');
            this.querySelector('[data-authorize-link]')?.focus();
        } else {
            this.say({
                paste_code: `Sign in at ${this.#name}, then paste the code it shows you.`,
                loopback: `Sign in at ${this.#name}, then paste the address your browser ended on.`,
            }[start.redirectMode] ?? `Waiting for you to finish signing in at ${this.#name}…`);
        }
        this.#pollBrowser(pollMs);
    }

    #pollBrowser(ms) {
        this.poll(ms, () => api.oauthFlow(this.#flow.flowId), (answer) => this.#onFlow(answer), (error) => {
            if (error.status === 404 || error.status === 410) {
                this.#failed({ category: error.category ?? 'unknown_flow', message: error.detail });
                return;
            }
            this.say('Switchboard did not answer; still waiting for the sign-in.');
            this.#pollBrowser(pollMs * 2);
        });
    }

    /** A flow's state from a poll or a paste. */
    #onFlow(answer) {
        const flow = this.#flow;
        switch (answer.status) {
        case 'completed':
            this.#connected(answer.account, answer);
            return;
        case 'failed':
            this.#failed(answer);
            return;
        case 'expired':
            if (flow.kind === 'device' || answer.category === 'expired_token') this.#deviceExpired();
            else if (answer.category === 'expired') this.#failed(answer);
            else this.#neverCameBack(answer);
            return;
        default:
            break;
        }
        if (flow.kind === 'device') {
            this.#deviceWaiting(answer);
            return;
        }
        const paste = flow.start.redirectMode !== 'server_callback';
        if (!paste && !flow.late && Date.now() - flow.startedAt > this.callbackPatience) {
            flow.late = true;
            this.setState('late');
            this.#renderBrowser();
            this.say('Still waiting: the provider has not sent you back here yet.');
            announce(neverCameBack);
        }
        this.#pollBrowser(pollMs);
    }

    /** The flow expired without the provider sending the browser back (callback_timeout). */
    #neverCameBack(answer) {
        this.end('failed', {
            actions: this.#startButtons({ again: true }),
            body: html`
                <div class="field__error oauth-flow__failure" data-sign-in-failure data-category="${answer.category ?? 'callback_timeout'}">
                    <p>${neverCameBack}</p>
                    ${this.#pairingOffered ? html`
                        <p>Pair from another machine instead: <button type="button" class="button button--small" data-op="pairing-request">Pair from another machine</button></p>` : ''}
                </div>
                ${this.#redirectHint(this.#flow?.start?.redirectUri)}`,
            status: neverCameBack,
        });
    }

    async #paste() {
        const input = this.querySelector('[data-paste]');
        const messages = this.querySelector('[data-paste-messages]');
        const flow = this.#flow;
        if (!input || !flow) return;
        const code = input.value.trim();
        input.removeAttribute('aria-invalid');
        messages.replaceChildren();
        if (!code) {
            input.setAttribute('aria-invalid', 'true');
            render(messages, html`<p class="field__error">Paste the code (or the whole address) first.</p>`);
            input.focus();
            return;
        }
        const button = this.querySelector('[data-op="paste"]');
        button.disabled = true;
        button.textContent = 'Finishing…';
        const run = this.run;
        let answer;
        try {
            answer = await api.pasteOAuthCode(this.provider.id, flow.flowId, code);
        } catch (error) {
            if (!this.current(run) || !button.isConnected) return;
            button.disabled = false;
            button.textContent = 'Finish signing in';
            input.setAttribute('aria-invalid', 'true');
            render(messages, html`
                <div class="field__error" data-paste-error data-category="${error.category ?? ''}">
                    <p>${error.category ? failureText(error.category, { missingScopes: error.missingScopes, message: error.detail })
                        : html`${error.title}${error.detail ? html`: ${withCode(error.detail)}` : ''}`}</p>
                    ${error.category === 'redirect_uri_mismatch' && (error.redirectUri || flow.start.redirectUri)
                        ? copyable(`sign-in-${this.#id}-paste-redirect`, error.redirectUri || flow.start.redirectUri, 'Copy the redirect URI') : ''}
                </div>`);
            announce(error.category ? categorySentence(error.category, { missingScopes: error.missingScopes }) : error.title);
            input.focus();
            return;
        }
        if (!this.current(run)) return;
        this.#onFlow(answer.flow ?? answer);
    }

    // MARK: Device code

    async #startDevice() {
        const device = await this.start(() => api.startDeviceCode(this.provider.id, this.account?.id ?? null), {
            view: this.#busy(`Asking ${this.#name} for a code…`), what: 'No code was issued',
        });
        if (!device) return;
        this.#flow = { kind: 'device', flowId: device.flowId, device, interval: device.interval ?? 5 };
        this.setState('waiting');
        this.#renderDevice();
        this.say(`Waiting for you to enter the code at ${this.#name}…`);
        this.querySelector('[data-verification-uri], [data-verification-complete]')?.focus();
        this.#pollDevice();
    }

    /** Asks the server to ask the provider, at the provider's interval. */
    #pollDevice() {
        const flow = this.#flow;
        this.poll(flow.interval * 1000, () => api.pollDeviceCode(flow.flowId), (answer) => this.#onFlow(answer), (error) => {
            if (error.category === 'expired_token' || error.category === 'expired') {
                this.#deviceExpired();
                return;
            }
            if (error.category) {
                this.#failed({ category: error.category, message: error.detail, missingScopes: error.missingScopes });
                return;
            }
            this.say(`Switchboard did not answer; asking again in ${flow.interval} seconds.`);
            this.#pollDevice();
        });
    }

    #deviceWaiting(answer) {
        const flow = this.#flow;
        // The provider's slow_down makes the interval longer: every answer carries the one to use now.
        if (typeof answer.interval === 'number' && answer.interval > 0) flow.interval = answer.interval;
        this.querySelector('.oauth-flow').dataset.category = answer.category ?? '';
        this.say(answer.category === 'slow_down'
            ? `Waiting for you to enter the code… ${this.#name} asked to be asked less often: checking every ${flow.interval} seconds.`
            : `Waiting for you to enter the code at ${this.#name}…`);
        this.#pollDevice();
    }

    #deviceExpired() {
        this.end('expired', {
            actions: html`<button type="button" class="button button--primary" data-op="device-start">Get a new code</button>`,
            body: html`
                <div class="field__error oauth-flow__failure" data-sign-in-failure data-category="expired_token">
                    <p>${expiredCode}</p>
                </div>`,
            status: expiredCode,
        });
    }

    // MARK: Outcomes

    /** Signed in; with `insufficient_scope` the tokens are stored but a permission is missing: say which. */
    #connected(accountId, answer = {}) {
        const scope = answer.category === 'insufficient_scope';
        const missing = categorySentence('insufficient_scope', { missingScopes: answer.missingScopes ?? [] });
        this.connected(accountId, (name) => (scope ? {
            actions: html`<button type="button" class="button button--primary" data-op="oauth-start">Sign in again</button>`,
            body: html`
                <div class="field__warning oauth-flow__failure" data-sign-in-failure data-category="insufficient_scope">
                    <p>${missing}</p>
                    <p>The sign-in of <strong>${name}</strong> is stored, but it cannot do everything until you sign in again.</p>
                </div>`,
            status: missing,
        } : {
            actions: this.#startButtons({ again: true }),
            body: html`<p class="oauth-flow__done" data-sign-in-done><span aria-hidden="true">✓</span> Connected <strong>${name}</strong></p>`,
            status: `Connected ${name}`,
        }), { state: scope ? 'failed' : 'completed', category: answer.category ?? null });
    }

    /** The flow failed: what happened in words, the redirect URI to register when that was the cause, Start again. */
    #failed(answer) {
        const category = answer.category ?? 'unknown';
        const redirectUri = answer.redirectUri ?? this.#flow?.start?.redirectUri ?? null;
        this.end('failed', {
            actions: this.#startButtons({ again: true }),
            body: html`
                <div class="field__error oauth-flow__failure" data-sign-in-failure data-category="${category}">
                    <p>${failureText(category, { missingScopes: answer.missingScopes ?? [], message: answer.message ?? '' })}</p>
                    ${category === 'redirect_uri_mismatch' && redirectUri
                        ? copyable(`sign-in-${this.#id}-mismatch`, redirectUri, 'Copy the redirect URI') : ''}
                </div>
                ${category !== 'redirect_uri_mismatch' && this.#flow?.kind === 'browser' ? this.#redirectHint(redirectUri) : ''}`,
            status: categorySentence(category, { missingScopes: answer.missingScopes ?? [] }),
        });
    }

    // The server refused to start (no OAuth client, a bad account): its words, and Try again.
    retryActions() {
        return this.#startButtons({ again: true });
    }

    problemBox(markup, error) {
        return html`<div class="field__error oauth-flow__failure" data-sign-in-failure data-category="${error.category ?? 'refused'}">${markup}</div>`;
    }

    // MARK: Events

    clicked(op) {
        switch (op) {
        case 'oauth-start':
            this.dispatchEvent(new CustomEvent('sign-in-request', { bubbles: true, detail: { kind: 'browser' } }));
            break;
        case 'device-start':
            this.dispatchEvent(new CustomEvent('sign-in-request', { bubbles: true, detail: { kind: 'device' } }));
            break;
        case 'paste':
            this.#paste();
            break;
        case 'pairing-request':
            this.stop();
            this.dispatchEvent(new CustomEvent('pairing-request', { bubbles: true }));
            break;
        case 'cancel':
            this.stop();
            this.#flow = null;
            this.#renderIdle();
            this.querySelector('[data-op="oauth-start"]')?.focus();
            announce('Sign-in cancelled');
            break;
        default:
        }
    }
}

customElements.define('oauth-sign-in', OAuthSignIn);
