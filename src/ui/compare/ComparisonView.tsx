// Placeholder: the comparison of runs across tabs (being built).
export function ComparisonView() {
  return <section className="panel"><h2>Compare runs</h2><p className="muted">Coming soon.</p></section>;
}
