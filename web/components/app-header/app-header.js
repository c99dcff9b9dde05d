import { api } from '../../api.js';
import { html, render, withCode } from '../../lib/html.js';

/** The product bar: name, who is signed in, Sign out. `api.signOut()` says `signed-out` once the session is gone. */
export class AppHeader extends HTMLElement {
    #session = null;

    get session() { return this.#session; }

    set session(session) {
        this.#session = session;
        this.#render();
    }

    connectedCallback() {
        this.#render();
    }

    #render() {
        if (!this.isConnected) return;
        const name = this.#session?.tokenName ?? '';
        render(this, html`
            <header class="app-header">
                <a class="app-header__brand" href="/settings">
                    <img src="/favicon.svg" alt="" width="24" height="24">
                    <span>Switchboard</span>
                </a>
                <div class="app-header__account">
                    ${name ? html`<span class="app-header__who">Signed in as <strong class="app-header__name">${name}</strong></span>` : ''}
                    <button type="button" class="button button--quiet" data-action="sign-out">Sign out</button>
                </div>
            </header>
            <div class="app-header__error error" role="alert"></div>`);
        this.querySelector('[data-action="sign-out"]').addEventListener('click', () => this.#signOut());
    }

    async #signOut() {
        const button = this.querySelector('[data-action="sign-out"]');
        const region = this.querySelector('.app-header__error');
        button.disabled = true;
        region.replaceChildren();
        try {
            await api.signOut();
        } catch (error) {
            render(region, html`<p class="error__title">${error.title}</p>${error.detail ? html`<p>${withCode(error.detail)}</p>` : ''}`);
            button.disabled = false;
        }
    }
}

customElements.define('app-header', AppHeader);
