import { api } from './api.js';
import { announce } from './lib/announce.js';
import { html, render, withCode } from './lib/html.js';
import './components/app-header/app-header.js';
import './components/sign-in-form/sign-in-form.js';
import { defaultSection, sectionHref } from './components/settings-page/settings-page.js';

const main = document.getElementById('main');
const header = document.querySelector('app-header');

function sectionFromURL() {
    return new URL(window.location.href).searchParams.get('section') || defaultSection;
}

function setTitle(page) {
    document.title = page ? `${page} · Switchboard` : 'Switchboard';
}

function showSignIn() {
    header.hidden = true;
    header.session = null;
    const form = document.createElement('sign-in-form');
    main.replaceChildren(form);
    setTitle('Sign in');
    return form;
}

function showSettings(session) {
    header.session = session;
    header.hidden = false;
    const page = document.createElement('settings-page');
    page.section = sectionFromURL();
    main.replaceChildren(page);
    setTitle(page.sectionLabel ?? 'No such section');
    return page;
}

function showLoadFailure(error) {
    header.hidden = true;
    render(main, html`
        <section class="card load-failure" aria-labelledby="load-failure-title">
            <h1 id="load-failure-title" class="error__title">${error.title}</h1>
            ${error.detail ? html`<p>${withCode(error.detail)}</p>` : ''}
            <button type="button" class="button button--primary" data-action="retry">Try again</button>
        </section>`);
    main.querySelector('[data-action="retry"]').addEventListener('click', start);
    setTitle('Not available');
}

async function start() {
    try {
        showSettings(await api.currentSession());
    } catch (error) {
        if (error.status === 401) showSignIn();
        else showLoadFailure(error);
    }
}

document.addEventListener('signed-in', (event) => {
    const page = showSettings(event.detail);
    announce(`Signed in as ${event.detail.tokenName}`);
    page.focusHeading();
});

document.addEventListener('signed-out', () => {
    const form = showSignIn();
    announce('Signed out');
    form.focus();
});

document.addEventListener('navigate', (event) => {
    const page = main.querySelector('settings-page');
    if (!page) return;
    const href = sectionHref(event.detail.section);
    if (window.location.pathname + window.location.search !== href) window.history.pushState({}, '', href);
    page.section = event.detail.section;
    setTitle(page.sectionLabel ?? 'No such section');
    page.focusHeading();
});

window.addEventListener('popstate', () => {
    const page = main.querySelector('settings-page');
    if (!page) return;
    page.section = sectionFromURL();
    setTitle(page.sectionLabel ?? 'No such section');
});

start();
