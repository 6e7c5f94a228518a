// Placeholder: classroom mode (being built).
export function ClassroomView() {
  return <section className="panel"><h2>Classroom</h2><p className="muted">Coming soon.</p></section>;
}
