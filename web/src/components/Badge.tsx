/** A status as text and colour; the text is what counts, for screen readers and colour-blind readers alike. */
export function Badge(props: { status: string }) {
  return <span class={`badge badge-${props.status}`}>{props.status.replace('_', ' ')}</span>;
}
