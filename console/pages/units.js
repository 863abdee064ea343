// An administrator's units: the territorial units and their departments, making and renaming
// one or moving it under another; and each unit's alert settings (which channels its people are
// reached on, who besides its supervisors hears of an escalated alert, and how long an alert
// waits for acknowledgement before it escalates), `GET/PUT /units/{id}/alerting`.

import { api, enumerations, get, getAll, post } from '../api.js';
import { t, term } from '../i18n.js';
import { announce, attempt, field, h, keepingFocus, section, select, table } from '../ui.js';

/// The severities that may escalate, most urgent first (a warning never does).
const ESCALATING = ['critical', 'high', 'medium', 'low'];
const MAX_MINUTES = 7 * 24 * 60;

export async function render(root, { user, args }) {
  const [units, enums] = await Promise.all([getAll('/units'), enumerations()]);
  const id = args[0] ? Number(args[0]) : null;
  const chosen = units.find((u) => u.id === id) ?? null;
  const reload = () => render(root, { user, args });
  const name = (unitId) => units.find((u) => u.id === unitId)?.name ?? '—';
  const rows = units.map((u) => ({
    attrs: { dataset: { unit: u.id }, class: u.id === id ? 'selected' : undefined },
    cells: [h('a', { href: `#/units/${u.id}` }, u.name), u.parent_id ? name(u.parent_id) : t('units.territorial')],
  }));
  const parts = [
    h('h1', {}, t('units.title')),
    section(t('units.list'), table(t('units.list'), [t('units.name'), t('units.parent')], rows, { class: 'units', id: 'units' })),
  ];
  if (chosen) {
    const [settings, people] = await Promise.all([get(`/units/${chosen.id}/alerting`), getAll('/users')]);
    parts.push(editUnit(chosen, units, reload), alerting(chosen, settings, people, enums.channel, reload));
  }
  parts.push(newUnit(units));
  keepingFocus(root, () => root.replaceChildren(...parts));
}

/// The territorial units a unit may be put under: not departments, nor itself.
function parents(units, self) {
  return [['', t('units.territorial')], ...units.filter((u) => !u.parent_id && u.id !== self).map((u) => [u.id, u.name])];
}

function newUnit(units) {
  // Room for a department's whole name (Rīgas Pārdaugavas nodaļa).
  const name = h('input', { name: 'name', id: 'new-unit-name', autocomplete: 'off', size: 32 });
  const parent = select('parent_id', parents(units, null), { id: 'new-unit-parent' });
  const form = h('form', { id: 'unit-form', class: 'inline-form' },
    field(t('units.name'), name), field(t('units.parent'), parent),
    h('button', { type: 'submit', class: 'primary', id: 'unit-create' }, t('units.create')));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    return attempt(async () => {
      const made = await post('/units', { name: name.value, parent_id: parent.value ? Number(parent.value) : null });
      location.hash = `#/units/${made.id}`;
    }, t('units.created'), async () => {});
  });
  return section(t('units.new'), form);
}

function editUnit(unit, units, reload) {
  const name = h('input', { name: 'name', id: 'unit-name', value: unit.name, size: 32 });
  const parent = select('parent_id', parents(units, unit.id), { id: 'unit-parent' });
  parent.value = unit.parent_id ?? '';
  const form = h('form', { id: 'unit-edit', class: 'inline-form' },
    field(t('units.name'), name), field(t('units.parent'), parent),
    h('button', { type: 'submit', class: 'primary', id: 'unit-save' }, t('units.save')));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    // 0: a territorial unit again.
    const change = { name: name.value, parent_id: parent.value ? Number(parent.value) : 0 };
    return attempt(() => api('PATCH', `/units/${unit.id}`, change), t('units.saved'), reload);
  });
  return section(unit.name, form);
}

/// The unit's alert settings, saved whole as its own.
function alerting(unit, settings, people, channels, reload) {
  const boxes = channels.map((c) => {
    const box = h('input', { type: 'checkbox', name: 'channel', value: c, id: `alerting-channel-${c}`, checked: settings.channels.includes(c) });
    return h('label', { class: 'toggle' }, box, t(`alerts.channel.${c}`));
  });
  const active = people.filter((p) => !p.disabled);
  const contacts = h('select', { name: 'escalation_contacts', id: 'alerting-contacts', multiple: true, size: Math.min(8, Math.max(3, active.length)) },
    active.map((p) => h('option', { value: p.id, selected: settings.escalation_contacts.includes(p.id) }, `${p.display_name} (${term('role', p.role)})`)));
  const times = ESCALATING.map((s) => {
    const secs = settings.escalate_after[s];
    const input = h('input', { name: `escalate_after.${s}`, id: `alerting-after-${s}`, inputmode: 'numeric', size: 6, value: secs === undefined ? '' : String(Math.round(secs / 60)) });
    return [s, input];
  });
  const form = h('form', { id: 'alerting-form', class: 'settings' },
    h('p', { id: 'alerting-source' }, term('settings_source', settings.source)),
    h('div', { class: 'settings-row' },
      h('fieldset', {}, h('legend', {}, t('units.channels')), ...boxes),
      h('div', {}, field(t('units.contacts'), contacts), h('p', { class: 'hint' }, t('units.contacts_hint')))),
    h('fieldset', {}, h('legend', {}, t('units.escalate_after')),
      h('p', { class: 'hint' }, t('units.escalate_hint')),
      h('div', { class: 'settings-row minutes' }, ...times.map(([s, input]) => field(term('severity', s), input)))),
    h('div', {}, h('button', { type: 'submit', class: 'primary', id: 'alerting-save' }, t('units.save_alerting'))));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const escalate = {};
    for (const [s, input] of times) {
      const text = input.value.trim();
      if (!text) continue;
      // Whole minutes, more than none and at most 7 days; said in words here, nothing sent.
      if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > MAX_MINUTES) {
        announce(t('units.minutes_invalid', { severity: term('severity', s), max: MAX_MINUTES }), 'error');
        input.focus();
        return null;
      }
      escalate[s] = Number(text) * 60;
    }
    const body = {
      channels: boxes.map((b) => b.querySelector('input')).filter((b) => b.checked).map((b) => b.value),
      escalation_contacts: [...contacts.selectedOptions].map((o) => Number(o.value)),
      escalate_after: escalate,
    };
    return attempt(() => api('PUT', `/units/${unit.id}/alerting`, body), t('units.alerting_saved'), reload);
  });
  return section(t('units.alerting', { name: unit.name }), form);
}
