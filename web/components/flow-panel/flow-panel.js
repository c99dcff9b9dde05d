// What the sign-in and pairing panels share: one flow at a time, started at the server, polled until it ends
// (connected, failed, expired) or is cancelled, and started again. A new run makes the answers of the one
// before it stale: each waits with the run's number and is dropped when a newer run began.

import { api } from '../../api.js';
import { copyFrom } from '../../lib/copy.js';
import { html, render, withCode } from '../../lib/html.js';
import { categorySentence } from './flow-words.js';

/** A refused start as markup: what did not happen, why (the category in words, else the problem's title), the detail. */
export function refusal(error, what) {
    return html`
        <p>${what}: ${error.category ? categorySentence(error.category) : error.title}</p>
        ${error.detail ? html`<p>${withCode(error.detail)}</p>` : ''}`;
}

/**
 * The base of a flow panel. Its markup has a `[data-flow]` box (whose `data-state` is the flow's state),
 * `[data-actions]`, `[data-body]` and a `[data-flow-status]` live region. Set `provider` (catalog entry) and
 * `account` (null for a new account). A panel handles its buttons in `clicked(op, button)` (Copy buttons are
 * handled here) and says how a refusal looks with `retryActions()` and `problemBox(markup, error)`.
 */
export class FlowPanel extends HTMLElement {
    provider = null;
    account = null;
    #run = 0;
    #timer = 0;
    #clock = 0;

    constructor() {
        super();
        this.addEventListener('click', (event) => {
            const button = event.target.closest('button[data-op]');
            if (!button || !this.contains(button)) return;
            if (button.dataset.op === 'copy-value') copyFrom(button);
            else this.clicked(button.dataset.op, button);
        });
    }

    disconnectedCallback() {
        this.stop();
    }

    // Overridden by the panels: their buttons, the buttons that start again, the box a problem is shown in.
    clicked() {}
    retryActions() { return ''; }
    problemBox(markup) { return markup; }

    /** Stops the run: its timers end and the answers still on their way are dropped. */
    stop() {
        this.#run += 1;
        clearTimeout(this.#timer);
        clearInterval(this.#clock);
    }

    /** The current run's number (an answer awaited with it is stale once `current(run)` is false). */
    get run() {
        return this.#run;
    }

    /** True while `run` (from `run`, `later` or `poll`) is still the current run. */
    current(run) {
        return run === this.#run;
    }

    /** Runs `step(run)` after `ms`, unless the run stopped or the panel left the page meanwhile. */
    later(ms, step) {
        clearTimeout(this.#timer);
        const run = this.#run;
        this.#timer = setTimeout(() => {
            if (run === this.#run && this.isConnected) step(run);
        }, ms);
    }

    /** Runs `tick()` now and every `ms` until the run stops (a countdown). */
    every(ms, tick) {
        tick();
        clearInterval(this.#clock);
        this.#clock = setInterval(tick, ms);
    }

    /**
     * After `ms`, asks the server `ask()` and hands its answer to `answered`, or its refusal to `failed`;
     * either is dropped when the run stopped meanwhile.
     */
    poll(ms, ask, answered, failed) {
        this.later(ms, async (run) => {
            let answer;
            try {
                answer = await ask();
            } catch (error) {
                if (this.current(run)) failed(error);
                return;
            }
            if (this.current(run)) answered(answer);
        });
    }

    /**
     * Starts a new run at the server: shows `view` (what the panel says meanwhile), asks `ask()`, and answers
     * what it answered, or null when it was refused (said as `what` did not happen) or a newer run began.
     */
    async start(ask, { view, what, state = 'starting' }) {
        this.stop();
        const run = this.#run;
        if (state) this.setState(state);
        this.show(view);
        try {
            const answer = await ask();
            return this.current(run) ? answer : null;
        } catch (error) {
            if (this.current(run)) this.refused(error, what);
            return null;
        }
    }

    /** Shows the flow's `state` (on `[data-flow]`). */
    setState(state) {
        this.querySelector('[data-flow]').dataset.state = state;
    }

    /** Says `text` in the panel's live region (unless it says it already). */
    say(text) {
        const status = this.querySelector('[data-flow-status]');
        if (status && status.textContent !== text) status.textContent = text;
    }

    /** Shows the buttons (`actions`), the body and the status given; what is not given stays. */
    show({ actions, body, status }) {
        if (actions !== undefined) render(this.querySelector('[data-actions]'), actions);
        if (body === null) this.querySelector('[data-body]').replaceChildren();
        else if (body !== undefined) render(this.querySelector('[data-body]'), body);
        if (status !== undefined) this.say(status);
    }

    /** The run ended in `state` (failed, expired, idle): stops it and shows `view`. */
    end(state, view) {
        this.stop();
        this.setState(state);
        this.show(view);
    }

    /** The server refused to start the flow: why, in the panel's problem box, and the buttons to try again. */
    refused(error, what) {
        this.setState('failed');
        this.show({ actions: this.retryActions(), body: this.problemBox(refusal(error, what), error), status: `${what}: ${error.title}` });
    }

    /**
     * The flow connected `accountId`: shows what `done(name)` gives (`{actions, body, status}`, the account named
     * "OpenAI (openai:work)") and fires `signed-in` (detail: {account, id, category, tested}).
     */
    async connected(accountId, done, { state = 'completed', category = null, tested = false } = {}) {
        this.stop();
        this.setState(state);
        let account = null;
        try {
            account = accountId ? await api.account(accountId) : null;
        } catch {
            // The id says enough; the editor reads the account again anyway.
        }
        const name = account ? `${account.displayName} (${account.id})` : accountId ?? this.provider.name;
        this.show(done(name));
        this.dispatchEvent(new CustomEvent('signed-in', { bubbles: true, detail: { account, id: accountId, category, tested } }));
    }
}
