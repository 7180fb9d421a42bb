// Poison messages parked by the order worker: look at them, then replay them.
import { useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api } from "../../api/client";
import { toApiError } from "../../api/errors";
import { Link } from "../../router";
import { QueryProblem, primaryButton, secondaryButton } from "../../components/Status";
import { RequireAdmin } from "./RequireAdmin";

const kLimit = 50;

export default function DeadLettersPage() {
  const queryClient = useQueryClient();
  const [confirming, setConfirming] = useState(false);
  const list = useQuery({ queryKey: ["dead-letters"], queryFn: () => api.deadLetters(kLimit) });
  const replay = useMutation({
    mutationFn: () => api.replayDeadLetters(kLimit),
    onSettled: () => { setConfirming(false); void queryClient.invalidateQueries({ queryKey: ["dead-letters"] }); },
  });
  const messages = list.data?.messages ?? [];
  return (
    <RequireAdmin>
      <div className="space-y-4">
        <p><Link href="/admin" className="text-sm text-indigo-800 underline">← Admin</Link></p>
        <h1 className="text-2xl font-bold">Dead letters</h1>
        <p className="text-sm text-slate-700">Reservation messages the order worker could not process. Replaying republishes them to the reservation queue (the worker's inserts are idempotent).</p>
        <div className="flex flex-wrap gap-2">
          <button type="button" className={secondaryButton} onClick={() => void list.refetch()} disabled={list.isFetching}>{list.isFetching ? "Refreshing…" : "Refresh"}</button>
          {!confirming ? (
            <button type="button" className={primaryButton} disabled={messages.length === 0 || replay.isPending} onClick={() => setConfirming(true)}>Replay {messages.length}</button>
          ) : (
            <>
              <button type="button" className={primaryButton} onClick={() => replay.mutate()} disabled={replay.isPending}>{replay.isPending ? "Replaying…" : `Yes, replay up to ${kLimit}`}</button>
              <button type="button" className={secondaryButton} onClick={() => setConfirming(false)}>Keep them</button>
            </>
          )}
        </div>
        <div role="status" aria-live="polite">
          {replay.isSuccess && <p className="text-green-900">✓ Replayed {replay.data.count} message(s).</p>}
          {replay.isError && <p className="text-red-800">✕ Replay failed: {toApiError(replay.error).message}</p>}
        </div>
        {list.isError && <QueryProblem error={list.error} updatedAt={list.dataUpdatedAt} what="the dead letters" />}
        {list.isPending && <p role="status">Loading…</p>}
        {list.isSuccess && messages.length === 0 && <p data-testid="dead-letters-empty">No dead letters.</p>}
        <ul className="space-y-2">
          {messages.map((m, i) => (
            <li key={i} className="rounded-lg border border-slate-200 bg-white p-3 text-sm">
              <p className="font-medium">Routing key: {m.routing_key}</p>
              <pre className="mt-1 overflow-x-auto whitespace-pre-wrap break-all rounded bg-slate-100 p-2 text-xs">{JSON.stringify(m.body, null, 2)}</pre>
            </li>
          ))}
        </ul>
      </div>
    </RequireAdmin>
  );
}
