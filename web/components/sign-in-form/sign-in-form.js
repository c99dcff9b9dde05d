import { api } from '../../api.js';
import { html, render, withCode } from '../../lib/html.js';

/** Exchanges an admin token for a session. Fires `signed-in` (detail: the session) on success. */
export class SignInForm extends HTMLElement {
    #busy = false;

    connectedCallback() {
        if (this.querySelector('form')) return;
        render(this, html`
            <form class="card sign-in" novalidate>
                <h1 class="sign-in__title">Sign in to Switchboard</h1>
                <p class="muted">
                    Use an admin token. The first one is printed when Switchboard starts for the first time;
                    create more with <code>switchboard token create</code>.
                </p>
                <input type="text" name="username" autocomplete="username" value="Switchboard admin" hidden>
                <div class="field">
                    <label for="sign-in-token">Admin token</label>
                    <input id="sign-in-token" name="token" type="password" required
                           autocomplete="current-password" autocapitalize="off" spellcheck="false"
                           aria-describedby="sign-in-error">
                </div>
                <div id="sign-in-error" class="error" role="alert"></div>
                <button type="submit" class="button button--primary">Sign in</button>
            </form>`);
        this.querySelector('form').addEventListener('submit', (event) => this.#submit(event));
    }

    focus() {
        this.querySelector('input[type="password"]')?.focus();
    }

    async #submit(event) {
        event.preventDefault();
        if (this.#busy) return;
        const input = this.querySelector('input[type="password"]');
        const token = input.value.trim();
        if (!token) {
            this.#showError({ title: 'Enter your admin token', detail: 'It starts with `sbk_`.' });
            input.focus();
            return;
        }
        this.#showError(null);
        this.#setBusy(true);
        try {
            const session = await api.signIn(token);
            input.value = '';
            this.dispatchEvent(new CustomEvent('signed-in', { detail: session, bubbles: true }));
        } catch (error) {
            this.#showError(error);
            input.focus();
        } finally {
            this.#setBusy(false);
        }
    }

    #setBusy(busy) {
        this.#busy = busy;
        const button = this.querySelector('button[type="submit"]');
        button.disabled = busy;
        button.textContent = busy ? 'Signing in…' : 'Sign in';
        this.querySelector('form').setAttribute('aria-busy', String(busy));
    }

    #showError(problem) {
        const region = this.querySelector('.error');
        const input = this.querySelector('input[type="password"]');
        if (!problem) {
            region.replaceChildren();
            input.removeAttribute('aria-invalid');
            return;
        }
        const title = problem.title ?? 'Sign-in failed';
        render(region, html`<p class="error__title">${title}</p>${problem.detail ? html`<p>${withCode(problem.detail)}</p>` : ''}`);
        input.setAttribute('aria-invalid', 'true');
    }
}

customElements.define('sign-in-form', SignInForm);
