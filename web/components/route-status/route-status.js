import { html, render } from '../../lib/html.js';
import { accountState, clock, quotaText, reasonText, stateClass, stateText } from './route-words.js';

/**
 * Routing for one provider: each account's state (in rotation, cooling until …, disabled, excluded) with its
 * quota windows, a per-model table of the route status, and the last decisions with their explanation. Set
 * `provider`, `accounts` (the provider's accounts) and `status` (GET /api/route/status) any time.
 */
export class RouteStatus extends HTMLElement {
    #provider = null;
    #accounts = [];
    #status = null;
    #problem = null;

    set provider(provider) { this.#provider = provider; this.#render(); }
    set accounts(accounts) { this.#accounts = accounts ?? []; this.#render(); }
    set status(status) { this.#status = status; this.#problem = null; this.#render(); }
    set problem(problem) { this.#problem = problem; this.#render(); }

    connectedCallback() { this.#render(); }

    #render() {
        if (!this.isConnected || !this.#provider) return;
        const id = `route-${this.#provider.id}`;
        const ids = new Set(this.#accounts.map((a) => a.id));
        const status = this.#status;
        if (!ids.size) {
            render(this, html``);
            return;
        }
        const models = (status?.models ?? [])
            .map((m) => ({ model: m.model, accounts: m.accounts.filter((a) => ids.has(a.account)) }))
            .filter((m) => m.accounts.length)
            .sort((a, b) => Number(b.accounts.some((x) => x.state !== 'in_rotation')) - Number(a.accounts.some((x) => x.state !== 'in_rotation'))
                || a.model.localeCompare(b.model));
        const decisions = (status?.decisions ?? []).filter((d) => ids.has(d.account)).slice(0, 5);
        const windows = new Map((status?.accounts ?? []).map((a) => [a.account, a.windows ?? []]));
        const accountList = [...ids];
        render(this, html`
            <section class="route-status" aria-labelledby="${id}-title">
                <div class="route-status__header">
                    <h4 id="${id}-title">Routing and quota</h4>
                    <button type="button" class="button button--small" data-op="route-refresh" aria-describedby="${id}-title">Refresh</button>
                </div>
                ${this.#problem ? html`<p class="field__error" role="alert">The routing status could not be loaded: ${this.#problem.title}</p>` : ''}
                ${status ? html`<p class="muted route-status__generated">As of ${clock(status.generatedAt)}.</p>` : html`<p class="loading">Loading routing…</p>`}
                <ul class="route-status__accounts">
                    ${this.#accounts.map((account) => {
                        const state = accountState(status, account.id);
                        const quota = windows.get(account.id) ?? [];
                        return html`
                            <li class="route-account" data-route-account="${account.id}" data-route-state="${state?.state ?? 'none'}">
                                <span class="route-account__name">${account.displayName} <code>${account.id}</code></span>
                                <span class="route-pill route-pill--${state ? stateClass(state.state) : 'none'}" data-route-text>${stateText(state)}</span>
                                ${state && state.state !== 'in_rotation' && state.model ? html`<span class="muted">for ${state.model}</span>` : ''}
                                ${quota.length ? html`<ul class="route-account__quota" aria-label="Quota of ${account.displayName}">
                                    ${quota.map((w) => html`<li data-quota="${w.name}">${quotaText(w)}</li>`)}
                                </ul>` : html`<span class="muted route-account__quota-none">No quota reported yet.</span>`}
                            </li>`;
                    })}
                </ul>
                <details class="disclosure route-status__models">
                    <summary>Per model (${models.length})</summary>
                    ${models.length ? html`
                        <div class="table-wrap" tabindex="0" role="region" aria-label="Route status per model">
                            <table class="data-table">
                                <thead><tr><th scope="col">Model</th>${accountList.map((a) => html`<th scope="col"><code>${a}</code></th>`)}</tr></thead>
                                <tbody>
                                    ${models.map((m) => html`<tr data-route-model="${m.model}">
                                        <th scope="row"><code>${m.model.startsWith(`${this.#provider.id}/`) ? m.model.slice(this.#provider.id.length + 1) : m.model}</code></th>
                                        ${accountList.map((a) => {
                                            const entry = m.accounts.find((x) => x.account === a);
                                            return html`<td>${entry ? html`<span class="route-pill route-pill--${stateClass(entry.state)}">${stateText(entry)}</span>` : '—'}</td>`;
                                        })}
                                    </tr>`)}
                                </tbody>
                            </table>
                        </div>` : html`<p class="muted">No model is routed to these accounts yet.</p>`}
                </details>
                <details class="disclosure route-status__decisions" ${decisions.length ? html`open` : ''}>
                    <summary>Last decisions (${decisions.length})</summary>
                    ${decisions.length ? html`<ol class="route-decisions">
                        ${decisions.map((d) => html`
                            <li class="route-decision" data-decision="${d.decisionId}">
                                <p><strong>${clock(d.at)}</strong> ${d.requested} → <code>${d.model}</code> on <code>${d.account}</code>
                                    ${d.agent ? html` for agent ${d.agent}` : ''}
                                    · ${d.outcome ? html`outcome <span class="route-pill route-pill--${d.outcome === 'ok' ? 'ok' : 'warn'}">${reasonText(d.outcome) || d.outcome}</span>` : 'no outcome yet'}</p>
                                <ul class="route-explain">${d.explain.map((e) => html`<li data-step="${e.step}">${e.message}</li>`)}</ul>
                            </li>`)}
                    </ol>` : html`<p class="muted">No decisions for these accounts yet.</p>`}
                </details>
            </section>`);
    }
}

customElements.define('route-status', RouteStatus);
