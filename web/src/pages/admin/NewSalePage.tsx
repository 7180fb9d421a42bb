// Create a sale: the form checks what the API checks, then POST /admin/sales.
import { useId, useState, type FormEvent, type ReactNode } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api } from "../../api/client";
import { toApiError } from "../../api/errors";
import { toLocalInput, validateSale, type SaleFormErrors, type SaleFormValues } from "../../lib/saleForm";
import { navigate } from "../../router";
import { serverNow } from "../../store/clock";
import { Card, inputClass, primaryButton } from "../../components/Status";
import { RequireAdmin } from "./RequireAdmin";

function Field({ label, error, hint, children }: { label: string; error?: string | undefined; hint?: string; children: (id: string, describedBy: string | undefined) => ReactNode }) {
  const id = useId();
  const describedBy = error ? `${id}-err` : hint ? `${id}-hint` : undefined;
  return (
    <div>
      <label htmlFor={id} className="block text-sm font-medium">{label}</label>
      {children(id, describedBy)}
      {error ? <p id={`${id}-err`} className="mt-1 text-sm text-red-700">⚠ {error}</p>
        : hint ? <p id={`${id}-hint`} className="mt-1 text-sm text-slate-600">{hint}</p> : null}
    </div>
  );
}

export default function NewSalePage() {
  const queryClient = useQueryClient();
  const [values, setValues] = useState<SaleFormValues>(() => {
    const start = Math.ceil(((serverNow() ?? Date.now()) + 120_000) / 1000) * 1000;
    return { productName: "", description: "", price: "", stock: "100", limitPerUser: "1",
      startsAt: toLocalInput(start), endsAt: toLocalInput(start + 3_600_000) };
  });
  const [errors, setErrors] = useState<SaleFormErrors>({});
  const mutation = useMutation({
    mutationFn: api.createSale,
    onSuccess: (sale) => {
      void queryClient.invalidateQueries({ queryKey: ["sales"] });
      navigate(`/admin/sales/${sale.id}`);
    },
  });
  const set = (key: keyof SaleFormValues) => (e: { target: { value: string } }) => setValues({ ...values, [key]: e.target.value });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const { errors: found, sale } = validateSale(values, serverNow() ?? Date.now());
    setErrors(found);
    if (sale) mutation.mutate(sale);
  };
  const count = Object.keys(errors).length;
  return (
    <RequireAdmin>
      <div className="mx-auto max-w-xl space-y-4">
        <h1 className="text-2xl font-bold">New sale</h1>
        <Card>
          <form onSubmit={submit} noValidate className="space-y-4" aria-describedby={count ? "form-errors" : undefined}>
            {count > 0 && <p id="form-errors" role="alert" className="text-sm font-medium text-red-800">Please fix {count} field{count > 1 ? "s" : ""}.</p>}
            <Field label="Product name" error={errors.productName}>
              {(id, d) => <input id={id} className={inputClass} value={values.productName} onChange={set("productName")} aria-invalid={!!errors.productName || undefined} aria-describedby={d} />}
            </Field>
            <Field label="Description (optional)" error={errors.description}>
              {(id, d) => <textarea id={id} className={inputClass} rows={2} value={values.description} onChange={set("description")} aria-invalid={!!errors.description || undefined} aria-describedby={d} />}
            </Field>
            <div className="grid gap-4 sm:grid-cols-3">
              <Field label="Price (USD)" error={errors.price} hint="e.g. 99.90">
                {(id, d) => <input id={id} inputMode="decimal" className={inputClass} value={values.price} onChange={set("price")} aria-invalid={!!errors.price || undefined} aria-describedby={d} />}
              </Field>
              <Field label="Stock" error={errors.stock}>
                {(id, d) => <input id={id} inputMode="numeric" className={inputClass} value={values.stock} onChange={set("stock")} aria-invalid={!!errors.stock || undefined} aria-describedby={d} />}
              </Field>
              <Field label="Limit per shopper" error={errors.limitPerUser}>
                {(id, d) => <input id={id} inputMode="numeric" className={inputClass} value={values.limitPerUser} onChange={set("limitPerUser")} aria-invalid={!!errors.limitPerUser || undefined} aria-describedby={d} />}
              </Field>
            </div>
            <div className="grid gap-4 sm:grid-cols-2">
              <Field label="Starts at" error={errors.startsAt} hint="Your local time">
                {(id, d) => <input id={id} type="datetime-local" step={1} className={inputClass} value={values.startsAt} onChange={set("startsAt")} aria-invalid={!!errors.startsAt || undefined} aria-describedby={d} />}
              </Field>
              <Field label="Ends at" error={errors.endsAt}>
                {(id, d) => <input id={id} type="datetime-local" step={1} className={inputClass} value={values.endsAt} onChange={set("endsAt")} aria-invalid={!!errors.endsAt || undefined} aria-describedby={d} />}
              </Field>
            </div>
            {mutation.isError && <p role="alert" className="rounded-md border border-red-400 bg-red-50 px-3 py-2 text-sm text-red-900">{toApiError(mutation.error).message}</p>}
            <button type="submit" className={primaryButton} disabled={mutation.isPending}>{mutation.isPending ? "Creating…" : "Create sale"}</button>
          </form>
        </Card>
      </div>
    </RequireAdmin>
  );
}
