/**
 * One view's error boundary: a render error in the view shows what failed and a button that resets
 * this view (and whatever state `onReset` clears), instead of unmounting the whole app.
 */
import { Component, type ReactNode } from 'react';
import './common.css';

interface Props {
  /** The view, as a person names it: "Schedules", "Attention". */
  name: string;
  /** Clears the state that made the view fail (e.g. the config), before it renders again. */
  onReset?: () => void;
  /** What the reset button does, in words ("Reset the configuration to the preset"). */
  resetLabel?: string;
  children: ReactNode;
}

export class ErrorBoundary extends Component<Props, { error: Error | null }> {
  override state: { error: Error | null } = { error: null };

  static getDerivedStateFromError(error: Error) {
    return { error };
  }

  override componentDidCatch(error: Error): void {
    console.warn(`dinolab: the ${this.props.name} view failed`, error);
  }

  private reset = () => {
    this.props.onReset?.();
    this.setState({ error: null });
  };

  override render() {
    const { error } = this.state;
    if (!error) return this.props.children;
    return (
      <div className="view-failed" role="alert" data-testid="view-failed">
        <strong>The {this.props.name} view failed.</strong> <span className="muted">{error.message || String(error)}</span>{' '}
        <button type="button" onClick={this.reset}>
          {this.props.resetLabel ?? 'Reset this view'}
        </button>
      </div>
    );
  }
}
