import type { ComponentChildren } from 'preact';

export function Field(props: { label: string; id: string; children: ComponentChildren }) {
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      {props.children}
    </div>
  );
}

/** Arrival window; the browser's local time, sent as ISO-8601. */
export function TimeFields(props: { onSince: (value: string) => void; onUntil: (value: string) => void }) {
  return (
    <>
      <Field label="Since" id="f-since">
        <input id="f-since" type="datetime-local" step={1} onChange={(e) => props.onSince(e.currentTarget.value)} />
      </Field>
      <Field label="Until" id="f-until">
        <input id="f-until" type="datetime-local" step={1} onChange={(e) => props.onUntil(e.currentTarget.value)} />
      </Field>
    </>
  );
}
