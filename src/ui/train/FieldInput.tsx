/**
 * One config field: a number (kept as text while typed and committed as typed, NaN when it does
 * not parse, so the validation reports it), a checkbox, or a pair/triple of numbers; with the
 * paper's value, a one-line explanation and the field's own errors.
 */
import { useEffect, useId, useState } from 'react';
import type { ConfigField } from '../../shared/config-fields';
import { formatValue, paperDefault } from './config-fields';

interface Props {
  spec: ConfigField;
  value: unknown;
  errors: string[];
  disabled: boolean;
  onChange: (value: unknown) => void;
}

/** The number a person typed; NaN for empty or non-numeric text. */
export function parseNumber(text: string): number {
  return text.trim() === '' ? NaN : Number(text);
}

function NumberBox(props: {
  id?: string;
  value: number;
  integer: boolean;
  step?: number;
  label: string;
  invalid: boolean;
  disabled: boolean;
  describedBy: string;
  onCommit: (v: number) => void;
}) {
  const [text, setText] = useState(String(props.value));
  // Follow outside changes (preset switch) unless the text already means that value.
  useEffect(() => {
    setText((t) => (Object.is(parseNumber(t), props.value) ? t : String(props.value)));
  }, [props.value]);
  return (
    <input
      id={props.id}
      type="text"
      inputMode={props.integer ? 'numeric' : 'decimal'}
      className={`num${props.invalid ? ' invalid' : ''}`}
      value={text}
      aria-label={props.label}
      aria-invalid={props.invalid}
      aria-describedby={props.describedBy}
      disabled={props.disabled}
      onChange={(e) => {
        // Text that is not a number is committed as NaN: the config's one validation then
        // reports it beside this field and blocks Start, instead of the old value running silently.
        setText(e.target.value);
        props.onCommit(parseNumber(e.target.value));
      }}
      onKeyDown={(e) => {
        if (e.key !== 'ArrowUp' && e.key !== 'ArrowDown') return;
        e.preventDefault();
        if (!Number.isFinite(props.value)) return;
        const step = props.step ?? 1;
        const next = +(props.value + (e.key === 'ArrowUp' ? step : -step)).toPrecision(10);
        props.onCommit(next);
      }}
    />
  );
}

export function FieldInput({ spec, value, errors, disabled, onChange }: Props) {
  const id = useId();
  const helpId = `${id}-help`;
  const paper = paperDefault(spec.path);
  const invalid = errors.length > 0;
  const isDefault = paper !== null && formatValue(value) === paper;

  let control;
  if (spec.kind === 'bool') {
    control = (
      <input id={id} type="checkbox" checked={value as boolean} disabled={disabled} aria-describedby={helpId} onChange={(e) => onChange(e.target.checked)} />
    );
  } else if (spec.kind === 'pair' || spec.kind === 'triple') {
    const arr = value as number[];
    control = (
      <span className="multi">
        {arr.map((v, i) => (
          <NumberBox
            key={i}
            id={i === 0 ? id : undefined}
            value={v}
            integer={false}
            step={spec.step}
            label={`${spec.label} ${spec.parts?.[i] ?? i + 1}`}
            invalid={invalid}
            disabled={disabled}
            describedBy={helpId}
            onCommit={(nv) => onChange(arr.map((old, k) => (k === i ? nv : old)))}
          />
        ))}
      </span>
    );
  } else {
    control = (
      <NumberBox
        id={id}
        value={value as number}
        integer={spec.kind === 'int'}
        step={spec.step}
        label={spec.label}
        invalid={invalid}
        disabled={disabled}
        describedBy={helpId}
        onCommit={onChange}
      />
    );
  }

  return (
    <div className={`field${invalid ? ' has-error' : ''}`} data-field={spec.path}>
      <label htmlFor={id}>{spec.label}</label>
      {control}
      <span className={`paper${isDefault ? ' same' : ''}`} title="Value in the paper's ViT-S/16 recipe">
        {paper !== null ? `paper: ${paper}` : 'browser only'}
      </span>
      <span id={helpId} className="help">
        {spec.help}
      </span>
      {errors.map((e) => (
        <span key={e} className="field-error" role="alert">
          {e}
        </span>
      ))}
    </div>
  );
}
