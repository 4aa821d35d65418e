// The streamrelay console: a task table, a task form and a task's events, on the public API of
// the server that serves this page. No framework, no build step, nothing from the internet.
'use strict';

const PAGE_SIZE = 100;
const POLL_MS = 2000;
const SPARK_POINTS = 30;
const EVENT_TYPES = ['TaskStart', 'TaskExit', 'VodSourceFileStart', 'VodSourceFileFinish',
  'ResetTaskConfig', 'TaskAlarm'];
const MODIFIABLE = ['source_urls', 'vod_loop_time', 'vod_refresh_type', 'vod_start_video_index',
  'vod_start_video_time', 'start_time', 'end_time', 'callback_events', 'callback_url'];

const state = {
  project: localStorage.getItem('streamrelay.project') || '',
  token: sessionStorage.getItem('streamrelay.token') || '',
  offset: 0,
  total: 0,
  tasks: [],
  bitrates: new Map(), // task_id -> recent bitrate_kbps samples
  editing: null,       // the task being modified, null when creating
  eventsTask: null,
  timer: null,
};

const $ = (selector) => document.querySelector(selector);

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === 'class') node.className = value;
    else if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value);
  }
  for (const child of children) node.append(child);
  return node;
}

// What the API's error codes (the cloud vendor's own) mean, for the banner.
const ERROR_MEANINGS = {
  'APIG.0301': 'Authentication failed: check the token',
  'LIVE.100011015': 'The project header names another project',
  'LIVE.100011003': 'These credentials are not permitted to do this',
  'LIVE.103011019': 'No such task in this project',
  'LIVE.103011018': 'Another active task already pushes to this destination',
  'LIVE.103011022': 'Not allowed in the task\'s current state',
  'LIVE.103011020': 'The project\'s task quota is reached',
  'LIVE.100011007': 'Too many requests: try again in a moment',
  'LIVE.100011005': 'The server failed',
};

async function api(method, query = '', body = undefined, path = '') {
  const headers = {'Content-Type': 'application/json'};
  if (state.token) headers['X-Auth-Token'] = state.token;
  const url = `/v1/${encodeURIComponent(state.project)}/pull/stream/task${path}` +
    (query ? `?${query}` : '');
  const response = await fetch(url, {method, headers, body: body && JSON.stringify(body)});
  const reply = await response.json().catch(() => ({}));
  if (!response.ok) {
    const detail = reply.error_msg || `HTTP ${response.status}`;
    const meaning = ERROR_MEANINGS[reply.error_code];
    const message = meaning ? `${meaning}: ${detail}` : detail;
    throw new Error(reply.error_code ? `${message} (${reply.error_code})` : message);
  }
  return reply;
}

function showBanner(message) {
  const banner = $('#banner');
  banner.textContent = message || '';
  banner.hidden = !message;
}

// ---- the task table ----

async function refresh() {
  if (!state.project) return;
  try {
    const reply = await api('GET', `limit=${PAGE_SIZE}&offset=${state.offset}`);
    state.tasks = reply.task_infos;
    state.total = reply.total;
    for (const task of state.tasks) {
      const samples = state.bitrates.get(task.task_id) || [];
      samples.push(task.runtime ? task.runtime.bitrate_kbps : 0);
      state.bitrates.set(task.task_id, samples.slice(-SPARK_POINTS));
    }
    renderTasks();
    showBanner('');
    if (state.eventsTask) await loadEvents(state.eventsTask, true);
  } catch (error) {
    showBanner(`Cannot list tasks: ${error.message}`);
  }
}

function sparkline(samples) {
  const width = 120;
  const height = 28;
  const svgNs = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(svgNs, 'svg');
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('class', 'spark');
  const top = Math.max(1, ...samples);
  const step = width / (SPARK_POINTS - 1);
  const offset = SPARK_POINTS - samples.length;
  const points = samples.map((value, i) =>
    `${((offset + i) * step).toFixed(1)},${(height - 2 - (value / top) * (height - 4)).toFixed(1)}`);
  const line = document.createElementNS(svgNs, 'polyline');
  line.setAttribute('points', points.join(' '));
  svg.append(line);
  return svg;
}

function nowPlaying(task) {
  const runtime = task.runtime || {};
  const url = runtime.source_url || (task.source_urls || [])[0] || '';
  const parts = [el('span', {class: 'clip', title: url}, url)];
  if (task.source_type === 'PullVodPushLive' && runtime.started_at) {
    const position = `file ${runtime.file_index + 1}/${task.source_urls.length} · ` +
      `${Math.floor(runtime.file_offset_seconds)} s · round ${runtime.looped_times + 1}`;
    parts.push(el('small', {}, position));
  }
  if (runtime.source === 'backup') parts.push(el('small', {class: 'standby'}, 'standby source'));
  return el('td', {class: 'playing'}, ...parts);
}

function destinationOf(task) {
  if (task.destination_url) return task.destination_url;
  const query = task.push_args ? `?${task.push_args}` : '';
  return `rtmp://${task.domain}/${task.app_name}/${task.stream_name}${query}`;
}

function renderTasks() {
  const body = $('#tasks tbody');
  body.replaceChildren();
  for (const task of state.tasks) {
    const runtime = task.runtime || {};
    const paused = task.status === 'paused';
    const row = el('tr', {'data-task-id': task.task_id},
      el('td', {}, el('span', {class: `status ${task.status}`}, task.status)),
      el('td', {class: 'id', title: task.task_id}, task.task_id.slice(0, 8)),
      el('td', {}, task.source_type === 'PullVodPushLive' ? 'playlist' : 'live'),
      nowPlaying(task),
      el('td', {}, el('span', {class: 'clip', title: destinationOf(task)}, destinationOf(task))),
      el('td', {class: 'bitrate'}, sparkline(state.bitrates.get(task.task_id) || []),
        el('small', {}, `${runtime.bitrate_kbps || 0} kbps`)),
      el('td', {class: 'error'},
        el('span', {class: 'clip', title: runtime.last_error || ''}, runtime.last_error || '')),
      el('td', {class: 'actions'},
        el('button', {type: 'button', 'aria-label': `Edit ${task.task_id}`,
          onclick: () => openForm(task)}, 'Edit'),
        el('button', {type: 'button', 'aria-label': `${paused ? 'Enable' : 'Pause'} ${task.task_id}`,
          onclick: () => setPaused(task, !paused)}, paused ? 'Enable' : 'Pause'),
        el('button', {type: 'button', 'aria-label': `Events of ${task.task_id}`,
          onclick: () => loadEvents(task.task_id)}, 'Events'),
        el('button', {type: 'button', class: 'danger', 'aria-label': `Delete ${task.task_id}`,
          onclick: () => confirmDelete(task)}, 'Delete')));
    body.append(row);
  }
  $('#empty').hidden = state.tasks.length > 0;
  const last = Math.min(state.offset + state.tasks.length, state.total);
  $('#summary').textContent = state.total ?
    `${state.offset + 1}–${last} of ${state.total} tasks` : '';
  $('#prev-page').disabled = state.offset === 0;
  $('#next-page').disabled = last >= state.total;
}

async function setPaused(task, paused) {
  try {
    await api('PUT', '', {task_id: task.task_id, status: paused ? 'pause' : 'enable'});
    await refresh();
  } catch (error) {
    showBanner(`Cannot ${paused ? 'pause' : 'enable'} the task: ${error.message}`);
  }
}

function confirmDelete(task) {
  const dialog = $('#confirm-dialog');
  $('#confirm-text').textContent =
    `Delete task ${task.task_id}? Its push to ${destinationOf(task)} stops now.`;
  dialog.onclose = async () => {
    if (dialog.returnValue !== 'confirm') return;
    try {
      await api('DELETE', `task_id=${encodeURIComponent(task.task_id)}`);
      state.bitrates.delete(task.task_id);
      if (state.eventsTask === task.task_id) closeEvents();
      await refresh();
    } catch (error) {
      showBanner(`Cannot delete the task: ${error.message}`);
    }
  };
  dialog.showModal();
}

// ---- the task form ----

function lines(text) {
  return text.split('\n').map((line) => line.trim()).filter((line) => line);
}

function openForm(task) {
  state.editing = task;
  const form = $('#task-form');
  form.reset();
  $('#form-error').hidden = true;
  $('#form-title').textContent = task ? `Modify task ${task.task_id.slice(0, 8)}` : 'New task';
  for (const box of form.querySelectorAll('#callback-events input')) box.checked = false;
  if (task) {
    for (const [name, value] of Object.entries(task)) {
      const field = form.elements[name];
      if (!field || field instanceof RadioNodeList) continue;
      field.value = Array.isArray(value) ? value.join('\n') : value;
    }
    for (const name of task.callback_events || []) {
      const box = form.querySelector(`#callback-events input[value="${name}"]`);
      if (box) box.checked = true;
    }
  }
  // Only what modify accepts can be changed on an existing task.
  for (const field of form.querySelectorAll('input, select, textarea')) {
    const name = field.name || (field.closest('#callback-events') ? 'callback_events' : '');
    field.disabled = Boolean(task) && !MODIFIABLE.includes(name);
  }
  showVodFields();
  $('#task-dialog').showModal();
}

function showVodFields() {
  const form = $('#task-form');
  form.querySelector('.vod').hidden = form.elements.source_type.value !== 'PullVodPushLive';
}

function formBody() {
  const form = $('#task-form');
  const isVod = form.elements.source_type.value === 'PullVodPushLive';
  const body = {};
  const text = (name) => form.elements[name].value.trim();
  const put = (name, value) => {
    if (state.editing && !MODIFIABLE.includes(name)) return;
    body[name] = value;
  };
  put('source_type', form.elements.source_type.value);
  if (text('region')) put('region', text('region'));
  put('source_urls', lines(form.elements.source_urls.value));
  if (text('destination_url')) put('destination_url', text('destination_url'));
  for (const name of ['start_time', 'end_time']) {
    if (text(name)) put(name, text(name));
  }
  if (isVod) {
    if (text('vod_loop_time')) put('vod_loop_time', text('vod_loop_time'));
    put('vod_refresh_type', form.elements.vod_refresh_type.value);
    for (const name of ['vod_start_video_index', 'vod_start_video_time']) {
      if (text(name)) put(name, Number(text(name)));
    }
  }
  if (form.elements.backup_source_type.value) {
    put('backup_source_type', form.elements.backup_source_type.value);
    put('backup_source_urls', lines(form.elements.backup_source_urls.value));
  }
  put('callback_url', text('callback_url'));
  put('callback_events', [...form.querySelectorAll('#callback-events input:checked')]
    .map((box) => box.value));
  if (state.editing) body.task_id = state.editing.task_id;
  return body;
}

async function saveForm(event) {
  event.preventDefault();
  const error = $('#form-error');
  try {
    await api(state.editing ? 'PUT' : 'POST', '', formBody());
    $('#task-dialog').close();
    await refresh();
  } catch (failure) {
    error.textContent = failure.message;
    error.hidden = false;
  }
}

// ---- a task's events ----

function describeEvent(event) {
  const data = event.data || {};
  const parts = [];
  for (const key of ['alarm', 'reason', 'file_index', 'file_url', 'played_seconds', 'source',
    'error', 'changed']) {
    if (data[key] !== undefined && data[key] !== '') {
      parts.push(`${key}: ${typeof data[key] === 'object' ? JSON.stringify(data[key]) : data[key]}`);
    }
  }
  return parts.join(' · ');
}

async function loadEvents(taskId, isRefresh = false) {
  try {
    const reply = await api('GET', `task_id=${encodeURIComponent(taskId)}&limit=50`, undefined,
      '/events');
    if (isRefresh && state.eventsTask !== taskId) return; // closed or switched meanwhile
    state.eventsTask = taskId;
    $('#events-task').textContent = taskId;
    const body = $('#events tbody');
    body.replaceChildren();
    for (const event of reply.events.slice().reverse()) {
      body.append(el('tr', {},
        el('td', {}, String(event.sequence)),
        el('td', {class: 'time'}, event.timestamp),
        el('td', {}, event.event_type),
        el('td', {}, describeEvent(event)),
        el('td', {class: `delivery ${event.delivery}`}, event.delivery)));
    }
    $('#events-panel').hidden = false;
  } catch (error) {
    showBanner(`Cannot load events: ${error.message}`);
  }
}

function closeEvents() {
  state.eventsTask = null;
  $('#events-panel').hidden = true;
}

// ---- start ----

function connect(event) {
  if (event) event.preventDefault();
  state.project = $('#project').value.trim();
  state.token = $('#token').value;
  localStorage.setItem('streamrelay.project', state.project);
  sessionStorage.setItem('streamrelay.token', state.token);
  state.offset = 0;
  state.bitrates.clear();
  closeEvents();
  clearInterval(state.timer);
  if (!state.project) return;
  refresh();
  state.timer = setInterval(refresh, POLL_MS);
}

document.addEventListener('DOMContentLoaded', () => {
  const events = $('#callback-events');
  for (const name of EVENT_TYPES) {
    events.append(el('label', {class: 'check'},
      el('input', {type: 'checkbox', value: name}), name));
  }
  $('#project').value = state.project;
  $('#token').value = state.token;
  $('#connect').addEventListener('submit', connect);
  $('#new-task').addEventListener('click', () => openForm(null));
  $('#cancel-task').addEventListener('click', () => $('#task-dialog').close());
  $('#task-form').addEventListener('submit', saveForm);
  $('#task-form').elements.source_type.addEventListener('change', showVodFields);
  $('#close-events').addEventListener('click', closeEvents);
  $('#prev-page').addEventListener('click', () => {
    state.offset = Math.max(0, state.offset - PAGE_SIZE);
    refresh();
  });
  $('#next-page').addEventListener('click', () => {
    state.offset += PAGE_SIZE;
    refresh();
  });
  if (state.project) connect();
});
