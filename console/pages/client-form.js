// Registering a probation client, or changing their record (`#/clients/new`,
// `#/clients/{id}/edit`): names, personal code and date of birth (fixed once registered),
// phone, language, risk notes, the supervising officer (whose unit the client is in) and the
// addresses, each a street and a circle where a GPS fix counts as there: its centre picked on
// the map (a click on it) or typed as coordinates.

import { api, get, getAll, may, post } from '../api.js';
import { t, term } from '../i18n.js';
import { drawMap, fitView } from '../map.js';
import { announce, failure, field, h, section, select } from '../ui.js';
import { FormProblem, rowList, uid } from './form-rows.js';
import { dateInput, dateProblem } from '../date-field.js';

/// A coordinate typed, in range; else a FormProblem.
function degrees(input, limit) {
  const value = Number(String(input.value).trim().replace(',', '.'));
  if (input.value.trim() === '' || !Number.isFinite(value) || Math.abs(value) > limit) throw new FormProblem('client_form.bad_coordinates');
  return Math.round(value * 1e6) / 1e6;
}

/// The officers a client may be given to: the caller alone when their role may not list users
/// (an officer registers into their own caseload), else every officer they may list.
async function officers(user) {
  if (!(await may('GET', '/users'))) return [{ id: user.id, display_name: user.display_name }];
  const users = await getAll('/users');
  return users.filter((u) => u.role === 'officer' && !u.disabled);
}

/// The addresses: `{ element, value() }`. The map shows each address's circle (the view holds
/// them all once drawn); a click on it moves the address chosen (the radio button beside it)
/// there.
function addressesEditor(addresses, tiles) {
  let chosen = null;
  let map = null;
  const circles = new Map();
  const rows = new Set();
  const drawCircle = (row) => {
    const L = window.L;
    if (!map) return;
    circles.get(row)?.remove();
    const at = row.centre();
    if (!at) return;
    circles.set(row, L.circle([at[1], at[0]], { radius: row.radius(), className: 'map-address' }).addTo(map));
  };
  let named = addresses.length;
  const list = rowList({
    id: 'addresses',
    items: addresses,
    addLabel: t('client_form.add_address'),
    empty: () => ({ id: named++ ? `address-${named}` : 'home', street: '', zone: { type: 'circle', radius_m: 40 } }),
    make(a) {
      const id = h('input', { class: 'address-id', id: uid('address-id'), value: a.id, size: 10 });
      const street = h('input', { class: 'address-street', id: uid('address-street'), value: a.street, size: 40 });
      const circle = a.zone?.type === 'circle' ? a.zone : null;
      const lat = h('input', { class: 'address-lat', id: uid('address-lat'), inputmode: 'decimal', size: 10, value: circle?.centre ? String(circle.centre[1]) : '' });
      const lon = h('input', { class: 'address-lon', id: uid('address-lon'), inputmode: 'decimal', size: 10, value: circle?.centre ? String(circle.centre[0]) : '' });
      const radius = h('input', { type: 'number', min: 5, step: 1, class: 'address-radius', id: uid('address-radius'), value: circle?.radius_m ?? 40 });
      const pick = h('input', { type: 'radio', name: 'address-pick', class: 'address-pick', id: uid('address-pick') });
      const row = {
        element: null,
        centre: () => { try { return [degrees(lon, 180), degrees(lat, 90)]; } catch { return null; } },
        radius: () => Number(radius.value) || 40,
        set([lo, la]) {
          lon.value = String(Math.round(lo * 1e6) / 1e6);
          lat.value = String(Math.round(la * 1e6) / 1e6);
          drawCircle(row);
        },
      };
      pick.addEventListener('change', () => { chosen = row; });
      for (const input of [lat, lon, radius]) input.addEventListener('change', () => drawCircle(row));
      chosen = row;
      pick.checked = true;
      rows.add(row);
      // A row added once the map is there: its circle now (the map draws the first ones).
      queueMicrotask(() => drawCircle(row));
      // The names on one line, where it is on the next: the coordinates side by side.
      row.element = h('div', { class: 'address' },
        h('div', { class: 'address-names' }, field(t('client_form.address_id'), id), field(t('client_form.street'), street)),
        h('div', { class: 'address-place' }, field(t('client_form.lat'), lat), field(t('client_form.lon'), lon), field(t('client_form.radius'), radius),
          h('label', { class: 'pick' }, pick, ' ', t('client_form.pick_on_map'))));
      return {
        element: row.element,
        value() {
          // A polygon the API holds stays as it is unless coordinates were typed for it.
          const zone = !circle && a.zone?.type === 'polygon' && !lat.value && !lon.value
            ? a.zone
            : { type: 'circle', centre: [degrees(lon, 180), degrees(lat, 90)], radius_m: Number(radius.value) };
          if (zone.type === 'circle' && !(zone.radius_m > 0)) throw new FormProblem('client_form.bad_radius');
          return { id: id.value.trim(), street: street.value, zone };
        },
      };
    },
  });
  const figure = drawMap({
    tiles,
    label: t('client_form.map'),
    legend: false,
    onReady: (m) => {
      map = m;
      m.on('click', (event) => chosen?.set([event.latlng.lng, event.latlng.lat]));
      for (const row of rows) drawCircle(row);
      const view = window.L.latLngBounds([]);
      for (const circle of circles.values()) view.extend(circle.getBounds());
      if (view.isValid()) fitView(m, view);
    },
  });
  figure.id = 'address-map';
  // An address taken away takes its circle off the map.
  list.element.addEventListener('click', (event) => {
    if (!event.target.closest('.row-remove')) return;
    for (const row of [...rows].filter((r) => !r.element.isConnected)) {
      circles.get(row)?.remove();
      circles.delete(row);
      rows.delete(row);
      if (chosen === row) chosen = null;
    }
  });
  return {
    element: h('div', {}, list.element, h('p', { class: 'hint' }, t('client_form.map_hint')), figure),
    value: list.value,
  };
}

export async function render(root, { user, config, args }) {
  const editing = args[0] !== 'new';
  const id = editing ? Number(args[0]) : null;
  const [client, choices] = await Promise.all([editing ? get(`/clients/${id}`) : null, officers(user)]);
  const input = (name, value = '', attrs = {}) => h('input', { id: `client-${name}`, name, value: value ?? '', ...attrs });
  const given = input('given_name', client?.given_name);
  const family = input('family_name', client?.family_name);
  const code = input('personal_code', client?.personal_code, { disabled: editing, placeholder: 'DDMMYY-NNNNN' });
  const birth = dateInput({ id: 'client-birth_date', time: false, required: !editing, disabled: editing, value: client?.birth_date ?? '' });
  const phone = input('phone', client?.phone);
  const language = select('language', ['lv', 'ru', 'en'].map((l) => [l, term('client_language', l)]), { id: 'client-language' });
  language.value = client?.language ?? 'lv';
  const risk = h('textarea', { id: 'client-risk_notes', name: 'risk_notes', rows: 3 }, client?.risk_notes ?? '');
  const officer = select('officer_id', choices.map((o) => [o.id, o.display_name]), { id: 'client-officer_id' });
  if (client) officer.value = String(client.officer_id);
  else if (choices.some((o) => o.id === user.id)) officer.value = String(user.id);
  const addresses = addressesEditor(client?.addresses ?? [], config.map_tiles);
  const error = h('p', { class: 'error', id: 'client-error', role: 'alert' });
  const form = h('form', { id: 'client-form', class: 'edit-form', novalidate: true },
    h('h1', {}, editing ? t('client_form.edit_title', { name: `${client.given_name} ${client.family_name}` }) : t('client_form.new_title')),
    section(t('client.record'),
      field(t('field.given_name'), given), field(t('field.family_name'), family),
      field(t('client.personal_code'), code), field(t('client.birth_date'), birth),
      field(t('client.phone'), phone), field(t('client.language'), language),
      field(t('client.officer'), officer), field(t('client.risk_notes'), risk)),
    section(t('client.addresses'), addresses.element),
    error,
    h('button', { type: 'submit', class: 'primary', id: 'client-submit' }, editing ? t('client_form.save') : t('client_form.create')));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.textContent = dateProblem(form);
    if (error.textContent) {
      announce(error.textContent, 'error');
      return;
    }
    let body;
    try {
      body = {
        given_name: given.value, family_name: family.value,
        phone: phone.value.trim() || null, language: language.value, risk_notes: risk.value,
        officer_id: Number(officer.value), addresses: addresses.value(),
      };
    } catch (problem) {
      if (!(problem instanceof FormProblem)) throw problem;
      error.textContent = t(problem.key);
      announce(error.textContent, 'error');
      return;
    }
    try {
      let saved;
      if (editing) {
        // The officer is sent only when handed over; an emptied phone is sent as null, which
        // clears it.
        if (body.officer_id === client.officer_id) delete body.officer_id;
        saved = await api('PATCH', `/clients/${id}`, body);
      } else {
        saved = await post('/clients', { ...body, personal_code: code.value, birth_date: birth.value });
      }
      announce(editing ? t('client_form.saved') : t('client_form.created', { name: `${saved.given_name} ${saved.family_name}` }), 'ok');
      location.hash = `#/clients/${saved.id}`;
    } catch (refused) {
      error.textContent = failure(refused);
      announce(error.textContent, 'error');
    }
  });
  root.replaceChildren(form);
}
