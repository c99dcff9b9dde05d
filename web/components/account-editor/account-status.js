// The account editor's status line: the account's status, its last test, Sign in again when the provider
// refused its OAuth tokens, and Test connection with the outcome of the latest press.

import { api } from '../../api.js';
import { html, render } from '../../lib/html.js';
import { secretNouns } from '../account-credential/account-credential.js';
import { accountTestResult, refusedTest, relativeTimeTag } from './connection-test.js';
import { unavailable } from './sign-in-method.js';

export const statusLabels = {
    connected: 'Connected',
    untested: 'Untested',
    error: 'Error',
    missing_credential: 'Missing credential',
    credential_unreadable: 'Credential unreadable',
    not_configured: 'Not configured',
};

/**
 * The status line of one editor (`root`). `account()` is the account shown; `reread(account)` reads it again
 * after a test (which stores its outcome on it); `tested()` follows a test (it lists the provider's models too).
 */
export class AccountStatus {
    #root;
    #account;
    #reread;
    #tested;
    #testing = null;

    constructor(root, { account, reread, tested }) {
        this.#root = root;
        this.#account = account;
        this.#reread = reread;
        this.#tested = tested;
    }

    get #provider() { return this.#root.provider; }

    template(account) {
        return html`
            <div class="account-status" data-status="${account.status}" data-account-status>
                <div class="account-status__body" data-status-body>${this.#body(account)}</div>
                <div class="account-test">
                    <button type="button" class="button button--small" data-op="test"
                            aria-describedby="acct-test-help">Test connection</button>
                    <span class="account-test__help muted" id="acct-test-help">Uses the saved ${secretNouns[account.credential?.kind] ?? 'credential'} and address.</span>
                </div>
                <div class="account-test__result" id="acct-test-result" data-test-result role="status" aria-live="polite"></div>
            </div>`;
    }

    /** Shows `account`'s status in place (the rest of the form, and what is typed in it, stays). */
    show(account) {
        const box = this.#root.querySelector('[data-account-status]');
        if (!box) return;
        box.dataset.status = account.status;
        render(box.querySelector('[data-status-body]'), this.#body(account));
    }

    #body(account) {
        const test = account.lastTest;
        return html`
            <p class="account-status__line">
                <span class="status-dot" aria-hidden="true"></span>
                <strong data-status-text>${statusLabels[account.status] ?? account.status}</strong>
                ${account.statusDetail ? html`<span> — ${account.statusDetail}</span>` : ''}
            </p>
            ${test?.at ? html`
                <p class="account-status__test muted" data-last-test data-ok="${test.ok ? 'true' : 'false'}">
                    <span aria-hidden="true">${test.ok ? '✓' : '✗'}</span>
                    Last tested ${relativeTimeTag(test.at)}${test.summary && test.summary !== account.statusDetail ? html` — ${test.summary}` : ''}
                </p>` : html`<p class="account-status__test muted" data-last-test>Not tested yet.</p>`}
            <p class="account-status__id muted">Account id <code>${account.id}</code></p>
            ${this.#needsSignIn(account) ? html`
                <p class="account-status__sign-in field__warning" data-sign-in-again>
                    <span id="acct-sign-in-again-why">${this.#provider.name} no longer accepts this sign-in.</span>
                    <button type="button" class="button button--small" data-op="sign-in-again"
                            aria-describedby="acct-sign-in-again-why">Sign in again</button>
                </p>` : ''}`;
    }

    /** An OAuth account whose tokens the provider refused (the last test, or a failed refresh, says `auth`). */
    #needsSignIn(account) {
        const oauth = account.credential?.kind === 'oauth' || Boolean(account.oauth);
        const offered = (this.#provider.authMethods ?? []).some((o) => o.method === 'oauth_browser' && !unavailable(this.#provider, o));
        return oauth && offered && account.lastTest?.ok === false && account.lastTest?.category === 'auth';
    }

    /** Tests the stored credential, then reads the account again for its status; drafts in the form stay. */
    async test() {
        const account = this.#account();
        if (!account || this.#testing) return;
        this.#testing = account.id;
        const focused = document.activeElement === this.#root.querySelector('[data-op="test"]');
        this.#setTesting(true);
        const box = this.#root.querySelector('[data-test-result]');
        let view = null;
        try {
            view = accountTestResult(await api.testAccount(account.id));
        } catch (error) {
            view = refusedTest(error);
        } finally {
            this.#testing = null;
            this.#setTesting(false);
            // A disabled button loses the focus: give it back.
            const button = this.#root.querySelector('[data-op="test"]');
            if (focused && button && (document.activeElement === document.body || document.activeElement === null)) button.focus();
        }
        await this.#reread(account);
        if (!this.#root.isConnected || this.#account()?.id !== account.id || !box.isConnected) return;
        // The box is a status region: what it shows now is announced.
        render(box, view);
        this.#tested();
    }

    #setTesting(testing) {
        const button = this.#root.querySelector('[data-op="test"]');
        if (button) {
            button.disabled = testing;
            button.textContent = testing ? 'Testing…' : 'Test connection';
            button.setAttribute('aria-busy', String(testing));
        }
        this.#root.querySelector('[data-test-result]')?.setAttribute('aria-busy', String(testing));
    }
}
