import { announce } from '../../lib/announce.js';
import { html, render } from '../../lib/html.js';
import { fieldId, messages } from '../../lib/fields.js';

/**
 * An ordered list of model ids (fallbacks): Move up / Move down / Remove on every item, Alt+↑ / Alt+↓ on a
 * focused item, "+ Add fallback". Set `pointer`, `label`, `help` before it connects and `items` any time;
 * every edit fires `settings-change` (detail: {pointer, value: the whole list}) and is announced.
 */
export class ModelList extends HTMLElement {
    pointer = '';
    label = 'Fallbacks';
    help = '';
    #items = [];

    constructor() {
        super();
        this.addEventListener('click', (event) => this.#onClick(event));
        this.addEventListener('keydown', (event) => this.#onKey(event));
    }

    get items() { return [...this.#items]; }

    set items(items) {
        const next = Array.isArray(items) ? [...items] : [];
        if (JSON.stringify(next) === JSON.stringify(this.#items) && this.querySelector('.model-list__item, .model-list__empty:not([hidden])')) return;
        this.#items = next;
        this.#renderItems();
    }

    connectedCallback() {
        if (this.firstElementChild) return;
        const id = fieldId(this.pointer);
        render(this, html`
            <fieldset class="field model-list" data-own-events aria-describedby="${this.help ? `${id}-help ` : ''}${id}-messages">
                <legend>${this.label}</legend>
                ${this.help ? html`<p class="field__help" id="${id}-help">${this.help}</p>` : ''}
                <ol class="model-list__items"></ol>
                <p class="model-list__empty muted">None yet.</p>
                <div class="model-list__add">
                    <label for="${id}-add" class="visually-hidden">Model to add to ${this.label}</label>
                    <input id="${id}-add" type="text" list="model-ids" autocomplete="off" spellcheck="false"
                           placeholder="provider/model" aria-describedby="${id}-add-problem">
                    <button type="button" class="button" data-action="add">+ Add fallback</button>
                </div>
                <p class="field__error" id="${id}-add-problem" hidden></p>
                ${messages(this.pointer)}
            </fieldset>`);
        this.#renderItems();
    }

    #renderItems(focus) {
        const list = this.querySelector('.model-list__items');
        if (!list) return;
        const count = this.#items.length;
        render(list, html`${this.#items.map((model, i) => {
            const pointer = `${this.pointer}/${i}`;
            const id = `${fieldId(pointer)}`;
            return html`
                <li class="model-list__item" data-index="${i}">
                    <span class="model-list__position" aria-hidden="true">${i + 1}.</span>
                    <span class="model-list__name" id="${id}-name" tabindex="0" data-item-pointer="${pointer}"
                          aria-describedby="${id}-messages" title="Alt+Up or Alt+Down moves it">${model}</span>
                    <span class="model-list__actions">
                        <button type="button" class="button button--small" data-move="-1" ${i === 0 ? html`disabled` : ''}
                                aria-describedby="${id}-name">Move up</button>
                        <button type="button" class="button button--small" data-move="1" ${i === count - 1 ? html`disabled` : ''}
                                aria-describedby="${id}-name">Move down</button>
                        <button type="button" class="button button--small" data-remove aria-describedby="${id}-name">Remove</button>
                    </span>
                    ${messages(pointer)}
                </li>`;
        })}`);
        this.querySelector('.model-list__empty').hidden = count > 0;
        if (focus) {
            const item = list.children[focus.index];
            const target = item?.querySelector(`${focus.selector}:not(:disabled)`)
                ?? item?.querySelector('[data-move]:not(:disabled)') ?? item?.querySelector('.model-list__name');
            target?.focus();
        }
    }

    #move(index, by, selector) {
        const to = index + by;
        if (to < 0 || to >= this.#items.length) return;
        const [model] = this.#items.splice(index, 1);
        this.#items.splice(to, 0, model);
        this.#renderItems({ index: to, selector });
        this.#changed(`${model} moved to position ${to + 1} of ${this.#items.length}`);
    }

    #add() {
        const input = this.querySelector('.model-list__add input');
        const problem = this.querySelector(`#${CSS.escape(input.id)}-problem`);
        const model = input.value.trim();
        if (!model) {
            problem.textContent = 'Type a model id such as provider/model first.';
            problem.hidden = false;
            input.setAttribute('aria-invalid', 'true');
            input.focus();
            return;
        }
        problem.hidden = true;
        input.removeAttribute('aria-invalid');
        input.value = '';
        this.#items.push(model);
        this.#renderItems();
        input.focus();
        this.#changed(`${model} added as number ${this.#items.length}`);
    }

    #changed(message) {
        announce(message);
        this.dispatchEvent(new CustomEvent('settings-change', {
            bubbles: true, detail: { pointer: this.pointer, value: this.items },
        }));
    }

    #onClick(event) {
        const button = event.target.closest('button');
        if (!button || !this.contains(button)) return;
        if (button.dataset.action === 'add') { this.#add(); return; }
        const item = button.closest('.model-list__item');
        if (!item) return;
        const index = Number(item.dataset.index);
        if (button.dataset.move) {
            this.#move(index, Number(button.dataset.move), `[data-move="${button.dataset.move}"]`);
        } else if (button.hasAttribute('data-remove')) {
            const [model] = this.#items.splice(index, 1);
            this.#renderItems(this.#items.length ? { index: Math.min(index, this.#items.length - 1), selector: '[data-remove]' } : null);
            if (!this.#items.length) this.querySelector('.model-list__add input').focus();
            this.#changed(`${model} removed`);
        }
    }

    #onKey(event) {
        if (event.target.matches?.('.model-list__add input') && event.key === 'Enter') {
            event.preventDefault();
            this.#add();
            return;
        }
        if (!event.altKey || (event.key !== 'ArrowUp' && event.key !== 'ArrowDown')) return;
        const item = event.target.closest?.('.model-list__item');
        if (!item) return;
        event.preventDefault();
        this.#move(Number(item.dataset.index), event.key === 'ArrowUp' ? -1 : 1, '.model-list__name');
    }
}

customElements.define('model-list', ModelList);
