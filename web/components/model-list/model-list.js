import { announce } from '../../lib/announce.js';
import { html, render } from '../../lib/html.js';
import { modelEntryPointer } from '../model-picker/model-picker.js';
import { fieldId, messages } from '../../lib/fields.js';

/**
 * An ordered list of model ids (fallbacks): dragged by the handle (mouse, pen or touch), Move up / Move down /
 * Remove on every item, Alt+↑ / Alt+↓ on a focused item, "+ Add fallback" with a catalog model picker. Set
 * `pointer`, `label`, `help`, `images` before it connects and `items` any time; every edit fires
 * `settings-change` (detail: {pointer, value: the whole list}) and is announced.
 */
export class ModelList extends HTMLElement {
    pointer = '';
    label = 'Fallbacks';
    help = '';
    images = false;
    #items = [];
    #drag = null;

    constructor() {
        super();
        this.addEventListener('click', (event) => this.#onClick(event));
        this.addEventListener('keydown', (event) => this.#onKey(event));
        this.addEventListener('pointerdown', (event) => this.#dragStart(event));
        this.addEventListener('pointermove', (event) => this.#dragMove(event));
        this.addEventListener('pointerup', (event) => this.#dragEnd(event, true));
        this.addEventListener('pointercancel', (event) => this.#dragEnd(event, false));
        this.addEventListener('model-picked', (event) => { event.stopPropagation(); this.#picked = event.detail; });
    }

    #picked = null;

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
                    <div data-add-picker></div>
                    <button type="button" class="button" data-action="add" aria-describedby="${id}-add-problem">+ Add fallback</button>
                </div>
                <p class="field__error" id="${id}-add-problem" hidden></p>
                ${messages(this.pointer)}
            </fieldset>`);
        const picker = document.createElement('model-picker');
        picker.dataset.id = `${id}-add`;
        picker.label = `Model to add to ${this.label}`;
        picker.images = this.images;
        this.querySelector('[data-add-picker]').replaceWith(picker);
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
                    <span class="model-list__handle" data-drag aria-hidden="true" title="Drag to reorder">⠿</span>
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
        const picker = this.querySelector('model-picker');
        const problem = this.querySelector('.model-list__add + .field__error');
        const chosen = this.#picked?.reference ?? picker.value;
        if (!chosen) {
            problem.textContent = 'Choose a provider and a model (or type an id in Expert Mode) first.';
            problem.hidden = false;
            picker.querySelector('select:not(:disabled)')?.focus();
            return;
        }
        problem.hidden = true;
        if (this.#picked?.manual) {
            this.dispatchEvent(new CustomEvent('settings-change', {
                bubbles: true, detail: { pointer: `${modelEntryPointer(chosen)}/manual`, value: true },
            }));
        }
        this.#picked = null;
        picker.reset();
        this.#items.push(chosen);
        this.#renderItems();
        this.querySelector('[data-action="add"]').focus();
        this.#changed(`${chosen} added as number ${this.#items.length}`);
    }

    // MARK: Dragging by the handle

    #dragStart(event) {
        const handle = event.target.closest?.('[data-drag]');
        if (!handle || event.button !== 0) return;
        const item = handle.closest('.model-list__item');
        event.preventDefault();
        handle.setPointerCapture?.(event.pointerId);
        item.classList.add('model-list__item--dragging');
        this.#drag = { item, from: Number(item.dataset.index), pointerId: event.pointerId };
    }

    #dragMove(event) {
        if (!this.#drag || event.pointerId !== this.#drag.pointerId) return;
        event.preventDefault();
        const list = this.querySelector('.model-list__items');
        const others = [...list.children].filter((li) => li !== this.#drag.item);
        const before = others.find((li) => {
            const box = li.getBoundingClientRect();
            return event.clientY < box.top + box.height / 2;
        });
        if (before) {
            if (before !== this.#drag.item.nextElementSibling) list.insertBefore(this.#drag.item, before);
        } else if (list.lastElementChild !== this.#drag.item) {
            list.append(this.#drag.item);
        }
    }

    #dragEnd(event, commit) {
        if (!this.#drag || event.pointerId !== this.#drag.pointerId) return;
        const { item, from } = this.#drag;
        this.#drag = null;
        item.classList.remove('model-list__item--dragging');
        const to = [...this.querySelector('.model-list__items').children].indexOf(item);
        if (!commit || to === from || to < 0) {
            this.#renderItems();
            return;
        }
        const [model] = this.#items.splice(from, 1);
        this.#items.splice(to, 0, model);
        this.#renderItems({ index: to, selector: '.model-list__name' });
        this.#changed(`${model} moved to position ${to + 1} of ${this.#items.length}`);
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
            if (!this.#items.length) this.querySelector('.model-list__add select')?.focus();
            this.#changed(`${model} removed`);
        }
    }

    #onKey(event) {
        if (!event.altKey || (event.key !== 'ArrowUp' && event.key !== 'ArrowDown')) return;
        const item = event.target.closest?.('.model-list__item');
        if (!item) return;
        event.preventDefault();
        this.#move(Number(item.dataset.index), event.key === 'ArrowUp' ? -1 : 1, '.model-list__name');
    }
}

customElements.define('model-list', ModelList);
