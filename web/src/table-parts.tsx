/** The header of a column whose cells say what it is (actions, a remove button): for screen readers only. */
export function UnseenColumnHeader({ label }: { label: string }) {
  return (
    <th scope="col">
      <span class="visually-hidden">{label}</span>
    </th>
  );
}
