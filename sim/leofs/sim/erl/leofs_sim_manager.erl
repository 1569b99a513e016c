%% leofs-sim: the Mnesia of one simulated LeoFS 1.4.4 manager, in a real
%% Erlang VM with OTP's own mnesia (issue 11 point 0).
%%
%% The VM is started by the sim's launch script in place of the shell
%% stand-in beam (sim/leofs/sim/launch `erl_boot`). It does what the real
%% manager does with Mnesia and nothing else: the console, the monitor and
%% the storage/gateway side stay in the shell simulator, which reads and
%% writes these tables over a loopback control socket (lib.sh `erl_req`).
%%
%% Origins (leo-project/leofs at "Modified for v1.4.4" unless said):
%% - boot: apps/leo_manager/src/leo_manager_sup.erl start_link/0 (no *.DCD
%%   in the Mnesia dir: ready at once, tables on a ?CHECK_INTERVAL timer;
%%   otherwise create_mnesia_tables_2/2 before the application is up);
%% - create_mnesia_tables/2, create_mnesia_tables_1/2 (partner must answer
%%   net_adm:ping; the master runs mnesia:create_schema on both nodes and
%%   creates every table as disc_copies on both), create_mnesia_tables_2/1
%%   (wait_for_tables 180 s, or force_load_table for `start force_load`;
%%   on a timeout or error: init:stop());
%% - tables and records: apps/leo_manager/include/leo_manager.hrl,
%%   leo-project/leo_redundant_manager include/leo_redundant_manager.hrl,
%%   leo_cluster_tbl_ring.erl (ordered_set), leo_cluster_tbl_member.erl,
%%   leo_cluster_tbl_conf.erl, leo_mdcr_tbl_cluster_stat.erl;
%% - backup-mnesia / restore-mnesia: leo_manager_mnesia.erl backup/1
%%   (checkpoint of 11 tables, no ring and no members) and restore/1
%%   (mnesia:restore with {default_op, recreate_tables});
%% - dump-mnesia-data / load-mnesia-data: rel/common/launch.sh through
%%   nodetool rpc to mnesia:dump_to_textfile/1 and mnesia:load_textfile/1
%%   (erlang/otp lib/mnesia/src/mnesia_text.erl), called here the same way.
-module(leofs_sim_manager).

-export([start/0, boot/0, create_mnesia_tables/2, check_files/1]).

%% leo_redundant_manager.hrl
-record(node_state, {node, state, ring_hash_new = "-1", ring_hash_old = "-1", when_is = 0, error = 0}).
-record(system_conf_3, {version = 1, cluster_id, dc_id, n = 1, r = 1, w = 1, d = 1, bit_of_ring = 128,
                        num_of_dc_replicas = 1, mdcr_r = 1, mdcr_w = 1, mdcr_d = 1,
                        num_of_rack_replicas = 0, max_mdc_targets = 2}).
-record(member, {node, alias = [], ip = "0.0.0.0", port = 13075, inet = ipv4, clock = 0, state = null,
                 num_of_vnodes = 168, grp_level_1 = [], grp_level_2 = []}).
-record(ring_0_16_8, {vnode_id = -1, node, clock = 0}).
-record(cluster_stat_1, {cluster_id, state = null, checksum = 0, updated_at = 0}).
%% leo_manager.hrl
-record(cmd_state, {name, help, available = true}).
-record(rebalance_info, {vnode_id = -1, node, total_of_objects = 0, num_of_remains = 0, when_is = 0}).
-record(del_bucket_state, {id = <<>>, bucket_name = <<>>, node, state = pending, timestamp = 1}).

%% {Table, RecordName, Fields, Type}: the tables create_mnesia_tables_1/2
%% makes that the simulator models. The S3 tables (leo_s3_libs) are created
%% with their names so that backup/1 finds them, holding no rows: the sim
%% has no S3 API. The MDC tables other than leo_cluster_stat are left out.
-define(TABLES,
        [{leo_storage_nodes, node_state, record_info(fields, node_state), set},
         {leo_gateway_nodes, node_state, record_info(fields, node_state), set},
         {leo_rebalance_info, rebalance_info, record_info(fields, rebalance_info), set},
         {leo_available_commands, cmd_state, record_info(fields, cmd_state), set},
         {leo_del_bucket_state, del_bucket_state, record_info(fields, del_bucket_state), set},
         {leo_system_conf, system_conf_3, record_info(fields, system_conf_3), set},
         {leo_cluster_stat, cluster_stat_1, record_info(fields, cluster_stat_1), set},
         {leo_ring_cur, ring_0_16_8, record_info(fields, ring_0_16_8), ordered_set},
         {leo_ring_prv, ring_0_16_8, record_info(fields, ring_0_16_8), ordered_set},
         {leo_members_cur, member, record_info(fields, member), set},
         {leo_members_prev, member, record_info(fields, member), set},
         {leo_s3_endpoints, leo_s3_endpoint, [endpoint, created_at], set},
         {leo_s3_credentials, credential, [access_key_id, secret_access_key, created_at], set},
         {leo_s3_buckets, bucket, [name, access_key_id, created_at], set},
         {leo_s3_users, user, [id, role_id, created_at], set},
         {leo_s3_user_credential, user_credential, [user_id, access_key_id, created_at], set}]).

%% leo_manager_mnesia.erl backup/1: the checkpoint's `max` list.
-define(BACKUP_TABLES,
        [leo_system_conf, leo_gateway_nodes, leo_storage_nodes, leo_available_commands,
         leo_rebalance_info, leo_del_bucket_state, leo_s3_endpoints, leo_s3_credentials,
         leo_s3_buckets, leo_s3_users, leo_s3_user_credential]).

%% The ring's checksum is what the shell simulator computes and shows; it is
%% kept as the one row of the ring table (real LeoFS: 168 vnodes a member,
%% checksummed by leo_redundant_manager_chash).
-define(RING_ROW_NODE, 'leofs_sim$ring_checksum').

%% ---------------------------------------------------------------- start

start() ->
    %% -s runs in the init process: the boot and the socket get their own.
    spawn(fun() ->
                  register(leofs_sim_manager, self()),
                  process_flag(trap_exit, false),
                  ok = listen(),
                  boot(),
                  receive stop -> ok end
          end),
    ok.

arg(Name) ->
    case init:get_argument(Name) of
        {ok, [[V | _] | _]} -> V;
        _ -> ""
    end.

arg_int(Name, Default) ->
    case arg(Name) of
        "" -> Default;
        V -> list_to_integer(V)
    end.

mode() -> list_to_atom(arg(leofs_sim_mode)).
partner() ->
    case arg(leofs_sim_partner) of
        "" -> undefined;
        P -> list_to_atom(P)
    end.
%% leo_manager_sup ?CHECK_INTERVAL (3000 ms) and the 180 s of load_tables/1.
check_interval() -> arg_int(leofs_sim_check_interval_ms, 3000).
wait_for_tables_ms() -> arg_int(leofs_sim_wait_for_tables_ms, 180000).

set_phase(P) -> persistent_term:put({?MODULE, phase}, P).
phase() -> persistent_term:get({?MODULE, phase}, booting).
%% The application is up (the launch script's `ready` says so).
set_ready() -> persistent_term:put({?MODULE, ready}, true).
ready() -> persistent_term:get({?MODULE, ready}, false).

mnesia_dir() ->
    %% a release loads every application at boot; -mnesia dir is its env
    _ = application:load(mnesia),
    case application:get_env(mnesia, dir) of
        {ok, Dir} -> Dir;
        undefined -> "./work/mnesia/127.0.0.1"
    end.

%% leo_manager_sup:start_link/0, the Mnesia part.
boot() ->
    Mode = mode(),
    Replica = case partner() of
                  undefined -> [{Mode, node()}];
                  P -> [{Mode, node()}, {partner, [P]}]
              end,
    case filelib:fold_files(mnesia_dir(), "\\.DCD$", false, fun(X, Acc) -> [X | Acc] end, []) of
        [] ->
            %% leo_misc:startup_notification(): ready before any table exists
            set_phase(no_tables),
            set_ready(),
            timer:apply_after(check_interval(), ?MODULE, create_mnesia_tables, [Mode, Replica]);
        _ ->
            set_phase(loading),
            create_mnesia_tables_2(Mode, Replica)
    end.

create_mnesia_tables(Mode, Replica) ->
    case proplists:get_value(partner, Replica) of
        undefined ->
            create_mnesia_tables_1(Mode, Replica);
        Partners ->
            case lists:foldl(fun(N, _) -> (catch net_adm:ping(N)) == pong end, false, Partners) of
                true -> create_mnesia_tables_1(Mode, Replica);
                false -> timer:apply_after(check_interval(), ?MODULE, create_mnesia_tables, [Mode, Replica])
            end
    end.

create_mnesia_tables_1(master = Mode, Replica) ->
    Nodes = lists:flatten([N || {_, N} <- Replica]),
    set_phase(creating),
    case mnesia:create_schema(Nodes) of
        ok ->
            try
                rpc:multicall(Nodes, application, stop, [mnesia], 30000),
                rpc:multicall(Nodes, application, start, [mnesia], 30000),
                [{atomic, ok} = mnesia:create_table(T, [{disc_copies, Nodes}, {type, Type}, {record_name, R},
                                                        {attributes, F}])
                 || {T, R, F, Type} <- ?TABLES],
                %% leo_manager_api:load_system_config_with_store_data/0
                ok = write_system_conf(),
                %% leo_manager_mnesia:update_available_commands/1
                {atomic, ok} = mnesia:transaction(
                                 fun() -> [mnesia:write(leo_available_commands, #cmd_state{name = C, help = []}, write)
                                           || C <- ["status", "start", "detach", "suspend", "resume", "rebalance",
                                                    "whereis", "backup-mnesia", "restore-mnesia", "update-managers"]],
                                          ok
                                 end),
                log(info, "create_mnesia_tables_1/2", io_lib:format("created the schema and tables on ~p", [Nodes]))
            catch
                _:Reason -> log(error, "create_mnesia_tables_1/2", io_lib:format("~p", [Reason]))
            end,
            create_mnesia_tables_2(Mode, Replica);
        {error, {_, {already_exists, _}}} ->
            create_mnesia_tables_2(Mode, Replica);
        {_, Cause} ->
            timer:apply_after(check_interval(), ?MODULE, create_mnesia_tables, [Mode, Replica]),
            log(error, "create_mnesia_tables_1/2", io_lib:format("~p", [Cause])),
            set_phase(no_tables),
            {error, Cause}
    end;
create_mnesia_tables_1(slave, Replica) ->
    create_mnesia_tables_2(slave, Replica).

create_mnesia_tables_2(Mode, Replica) ->
    case application:start(mnesia) of
        ok -> create_mnesia_tables_3(Mode, Replica);
        {error, {already_started, mnesia}} -> create_mnesia_tables_3(Mode, Replica);
        Error ->
            log(error, "create_mnesia_tables_2/2", io_lib:format("~p", [Error])),
            stop_vm()
    end.

create_mnesia_tables_3(Mode, Replica) ->
    case catch mnesia:system_info(tables) of
        {'EXIT', {aborted, Reason}} ->
            log(error, "create_mnesia_tables_2/1", io_lib:format("~p", [Reason])),
            stop_vm();
        Tbls when length(Tbls) > 1 ->
            set_phase(loading),
            case take_fault("tables-wait-untold") of
                true -> untold_wait();
                false -> ok
            end,
            case load_tables(Tbls) of
                ok ->
                    set_phase(ok),
                    set_ready(),
                    log(info, "create_mnesia_tables_2/1", "tables loaded");
                {timeout, Bad} ->
                    log(error, "create_mnesia_tables_2/1",
                        io_lib:format("[{cause,\"Mnesia: timeout of waiting for table\"},{bad_tables,~p}]", [Bad])),
                    stop_vm();
                {error, Reason} ->
                    log(error, "create_mnesia_tables_2/1", io_lib:format("~p", [Reason])),
                    stop_vm()
            end;
        _ when Mode == slave ->
            %% Deviation, for deterministic tests: the real slave stops its
            %% VM here (?ERROR_TABLE_NOT_EXISTS) when its timer fires while
            %% the master is still between create_schema and create_table,
            %% a race of a few ms in 3 s. The sim's slave looks again later.
            timer:apply_after(check_interval(), ?MODULE, create_mnesia_tables, [Mode, Replica]);
        _ ->
            log(error, "create_mnesia_tables_2/1", "[{cause,\"Table not exists\"}]"),
            stop_vm()
    end.

%% leo_manager_sup:load_tables/1: `start force_load` reaches the VM as its
%% last plain argument.
load_tables(Tables) ->
    case lists:reverse(init:get_plain_arguments()) of
        ["force_load" | _] ->
            %% force_load_table/1 answers `yes` once the load is decided, not
            %% done; the sim reports the tables only once they are in (the
            %% real console answers errors for that moment).
            case force_load_tables(Tables) of
                ok -> mnesia:wait_for_tables(Tables, wait_for_tables_ms());
                E -> E
            end;
        _ -> mnesia:wait_for_tables(Tables, wait_for_tables_ms())
    end.

force_load_tables([]) -> ok;
force_load_tables([schema | Rest]) -> force_load_tables(Rest);
force_load_tables([H | Rest]) ->
    case mnesia:force_load_table(H) of
        yes -> force_load_tables(Rest);
        Error -> {error, Error}
    end.

%% `leofs-sim fault tables-wait-untold <mgr>`, one shot (the file is taken).
%% OTP mnesia_controller:wait_for_tables_init/3 registers the waiter with
%% handle_sync_tabs/2, which answers only for tables readable somewhere at that
%% moment; seen in a run: a slave that listed the tables while its master was
%% still creating them waited in rec_tabs/4 with every table loaded, until its
%% timeout. The wait is as long as load_tables/1's, then the VM stops as
%% create_mnesia_tables_2/1 does on {timeout, BadTabList}.
take_fault(Name) ->
    Ctl = arg(leofs_sim_ctl),
    File = filename:join([filename:dirname(filename:dirname(Ctl)), "faults", Name ++ "." ++ atom_to_list(node())]),
    file:delete(File) == ok.

untold_wait() ->
    timer:sleep(wait_for_tables_ms()),
    log(error, "create_mnesia_tables_2/1",
        "[{cause,\"Mnesia: timeout of waiting for table\"},{bad_tables,[leo_storage_nodes]}]"),
    stop_vm(),
    receive never -> ok end.

stop_vm() ->
    set_phase(stopped),
    init:stop().

write_system_conf() ->
    Conf = sys_from_arg(),
    {atomic, ok} = mnesia:transaction(fun() -> mnesia:write(leo_system_conf, Conf, write) end),
    ok.

%% -leofs_sim_sysconf "cluster_id=..,n=..": the master's leo_manager.conf
sys_from_arg() ->
    KV = [list_to_tuple(string:split(P, "=")) || P <- string:lexemes(arg(leofs_sim_sysconf), ","), lists:member($=, P)],
    sys_from_kv(KV).

%% ---------------------------------------------------------------- the shell sim's table text
%% One section per table, named as the shell model names its files:
%%   %% table leo_system_conf.DCD     key=value lines (lib.sh db_body)
%%   %% table leo_storage_nodes.DCD   node|state|rack|cur|prev|upd
%%   %% table leo_members_cur.DCD     one node a line
%%   %% table leo_ring_cur.DCD        checksum=<hex>

-define(SYS_KEYS, ["cluster_id", "dc_id", "n", "r", "w", "d", "rack_n", "bit", "mdc_max", "mdc_n", "mdc_r", "mdc_w", "mdc_d", "status"]).

sys_from_kv(KV) ->
    G = fun(K, D) -> case lists:keyfind(K, 1, KV) of {_, V} when V =/= "" -> V; _ -> D end end,
    I = fun(K, D) -> list_to_integer(G(K, integer_to_list(D))) end,
    #system_conf_3{cluster_id = list_to_atom(G("cluster_id", "leofs_1")), dc_id = list_to_atom(G("dc_id", "dc_1")),
                   n = I("n", 1), r = I("r", 1), w = I("w", 1), d = I("d", 1), bit_of_ring = I("bit", 128),
                   num_of_dc_replicas = I("mdc_n", 1), mdcr_r = I("mdc_r", 1), mdcr_w = I("mdc_w", 1),
                   mdcr_d = I("mdc_d", 1), num_of_rack_replicas = I("rack_n", 0), max_mdc_targets = I("mdc_max", 2)}.

sys_to_lines(#system_conf_3{} = S, Status) ->
    V = [atom_to_list(S#system_conf_3.cluster_id), atom_to_list(S#system_conf_3.dc_id),
         S#system_conf_3.n, S#system_conf_3.r, S#system_conf_3.w, S#system_conf_3.d,
         S#system_conf_3.num_of_rack_replicas, S#system_conf_3.bit_of_ring, S#system_conf_3.max_mdc_targets,
         S#system_conf_3.num_of_dc_replicas, S#system_conf_3.mdcr_r, S#system_conf_3.mdcr_w,
         S#system_conf_3.mdcr_d, Status],
    [[K, "=", to_s(X), "\n"] || {K, X} <- lists:zip(?SYS_KEYS, V)].

to_s(X) when is_integer(X) -> integer_to_list(X);
to_s(X) when is_atom(X) -> atom_to_list(X);
to_s(X) -> X.

text() ->
    Sorted = fun(T) -> lists:sort(ets_all(T)) end,
    Status = case Sorted(leo_cluster_stat) of
                 [#cluster_stat_1{state = St} | _] -> St;
                 [] -> stop
             end,
    Sys = case Sorted(leo_system_conf) of
              [S | _] -> sys_to_lines(S, Status);
              [] -> []
          end,
    Nodes = fun(T) ->
                    %% Mnesia sets have no order: the rows come by node name.
                    Rows = lists:keysort(#node_state.node, Sorted(T)),
                    [[atom_to_list(N#node_state.node), "|", to_s(N#node_state.state), "||",
                      N#node_state.ring_hash_new, "|", N#node_state.ring_hash_old, "|",
                      integer_to_list(N#node_state.when_is), "\n"] || N <- Rows]
            end,
    Members = fun(T) -> [[atom_to_list(M#member.node), "\n"] || M <- lists:keysort(#member.clock, Sorted(T))] end,
    Ring = fun(T) ->
                   case Sorted(T) of
                       [#ring_0_16_8{vnode_id = V} | _] -> io_lib:format("checksum=~8.16.0b~n", [V]);
                       [] -> ["checksum=\n"]
                   end
           end,
    [section("leo_system_conf.DCD", Sys),
     section("leo_storage_nodes.DCD", Nodes(leo_storage_nodes)),
     section("leo_gateway_nodes.DCD", Nodes(leo_gateway_nodes)),
     section("leo_members_cur.DCD", Members(leo_members_cur)),
     section("leo_members_prev.DCD", Members(leo_members_prev)),
     section("leo_ring_cur.DCD", Ring(leo_ring_cur)),
     section("leo_ring_prv.DCD", Ring(leo_ring_prv))].

section(Name, Body) -> ["%% table ", Name, "\n", Body].

ets_all(T) ->
    case catch mnesia:dirty_match_object(T, mnesia:table_info(T, wild_pattern)) of
        L when is_list(L) -> L;
        _ -> []
    end.

%% Writes the shell model's tables in one transaction; Mnesia replicates
%% them to the partner's disc copy.
put_text(Lines) ->
    Sections = split_sections(Lines, undefined, #{}),
    Get = fun(K) -> lists:reverse(maps:get(K, Sections, [])) end,
    Now = erlang:system_time(second),
    F = fun() ->
                case maps:is_key("leo_system_conf.DCD", Sections) of
                    true ->
                        KV = [list_to_tuple(string:split(L, "=")) || L <- Get("leo_system_conf.DCD"), lists:member($=, L)],
                        Sys = sys_from_kv(KV),
                        replace(leo_system_conf, [Sys]),
                        Status = case lists:keyfind("status", 1, KV) of {_, S} when S =/= "" -> list_to_atom(S); _ -> stop end,
                        replace(leo_cluster_stat, [#cluster_stat_1{cluster_id = Sys#system_conf_3.cluster_id, state = Status,
                                                                   updated_at = Now}]);
                    false -> ok
                end,
                NodeRows = fun(Key) ->
                                   [begin
                                        [N, St, _Rack, C, P, U | _] = string:split(L, "|", all) ++ ["", "", "", "", ""],
                                        #node_state{node = list_to_atom(N), state = list_to_atom(St),
                                                    ring_hash_new = C, ring_hash_old = P, when_is = int(U)}
                                    end || L <- Get(Key), L =/= ""]
                           end,
                replace_if(Sections, "leo_storage_nodes.DCD", leo_storage_nodes, NodeRows),
                replace_if(Sections, "leo_gateway_nodes.DCD", leo_gateway_nodes, NodeRows),
                MemberRows = fun(Key) ->
                                     {Rows, _} = lists:mapfoldl(
                                                   fun(L, I) ->
                                                           Ip = case string:split(L, "@") of [_, H] -> H; _ -> "0.0.0.0" end,
                                                           {#member{node = list_to_atom(L), alias = L, ip = Ip, clock = I, state = running}, I + 1}
                                                   end, 1, [L || L <- Get(Key), L =/= ""]),
                                     Rows
                             end,
                replace_if(Sections, "leo_members_cur.DCD", leo_members_cur, MemberRows),
                replace_if(Sections, "leo_members_prev.DCD", leo_members_prev, MemberRows),
                RingRows = fun(Key) ->
                                   case [L || "checksum=" ++ L <- Get(Key), L =/= ""] of
                                       [Hex | _] -> [#ring_0_16_8{vnode_id = list_to_integer(Hex, 16), node = ?RING_ROW_NODE}];
                                       [] -> []
                                   end
                           end,
                replace_if(Sections, "leo_ring_cur.DCD", leo_ring_cur, RingRows),
                replace_if(Sections, "leo_ring_prv.DCD", leo_ring_prv, RingRows),
                ok
        end,
    mnesia:transaction(F).

int("") -> 0;
int(X) -> list_to_integer(X).

%% A table the text does not name is left as it is.
replace_if(Sections, Key, Table, Rows) ->
    case maps:is_key(Key, Sections) of
        true -> replace(Table, Rows(Key));
        false -> ok
    end.

%% Rows not in the new set are deleted; changed ones written.
replace(T, New) ->
    Old = mnesia:match_object(T, mnesia:table_info(T, wild_pattern), write),
    Key = fun(R) -> element(2, R) end,
    NewKeys = [Key(R) || R <- New],
    [mnesia:delete(T, Key(R), write) || R <- Old, not lists:member(Key(R), NewKeys)],
    [mnesia:write(T, R, write) || R <- New, not lists:member(R, Old)],
    ok.

split_sections([], _, Acc) -> Acc;
split_sections(["%% table " ++ Name | Rest], _, Acc) ->
    split_sections(Rest, Name, maps:put(Name, maps:get(Name, Acc, []), Acc));
split_sections([_ | Rest], undefined, Acc) -> split_sections(Rest, undefined, Acc);
split_sections([L | Rest], Cur, Acc) -> split_sections(Rest, Cur, maps:put(Cur, [L | maps:get(Cur, Acc)], Acc)).

%% ---------------------------------------------------------------- control socket
%% One request a connection, loopback only: a first line naming the request,
%% for `put` the table text after it up to a line `%% end`. The answer ends
%% when the socket closes.

listen() ->
    {ok, L} = gen_tcp:listen(0, [binary, {ip, {127, 0, 0, 1}}, {packet, line}, {active, false}, {reuseaddr, true}]),
    {ok, Port} = inet:port(L),
    File = arg(leofs_sim_ctl),
    ok = file:write_file(File ++ ".tmp", integer_to_list(Port)),
    ok = file:rename(File ++ ".tmp", File),
    spawn_link(fun() -> accept(L) end),
    ok.

accept(L) ->
    {ok, S} = gen_tcp:accept(L),
    Pid = spawn(fun() -> receive go -> serve(S) end end),
    ok = gen_tcp:controlling_process(S, Pid),
    Pid ! go,
    accept(L).

serve(S) ->
    case gen_tcp:recv(S, 0, 10000) of
        {ok, Line} ->
            Reply = try request(string:split(string:trim(binary_to_list(Line)), " "), S)
                    catch C:R -> io_lib:format("error ~p:~p~n", [C, R])
                    end,
            gen_tcp:send(S, unicode:characters_to_binary(Reply));
        _ -> ok
    end,
    gen_tcp:close(S).

request(["status"], _) ->
    Cookie = case phase() of
                 ok -> cookie();
                 _ -> ""
             end,
    Running = case phase() of
                  ok -> [atom_to_list(N) || N <- mnesia:system_info(running_db_nodes)];
                  _ -> []
              end,
    io_lib:format("phase=~s~nready=~s~ncookie=~s~nrunning=~s~n",
                  [phase(), ready(), Cookie, lists:join(",", Running)]);
request(["get"], _) ->
    case phase() of
        ok -> ["ok\n", text()];
        P -> io_lib:format("error ~s~n", [P])
    end;
request(["put"], S) ->
    Lines = recv_until_end(S, []),
    case put_text(Lines) of
        {atomic, ok} -> "ok\n";
        Other -> io_lib:format("error ~p~n", [Other])
    end;
request(["backup", Path], _) ->
    %% leo_manager_mnesia:backup/1
    case mnesia:activate_checkpoint([{ram_overrides_dump, true}, {name, "backup"}, {max, ?BACKUP_TABLES}]) of
        {ok, Name, _Nodes} ->
            try mnesia:backup_checkpoint(Name, Path) of
                ok -> "ok\n";
                {error, E} -> io_lib:format("error ~p~n", [E])
            after
                mnesia:deactivate_checkpoint(Name)
            end;
        {error, E} -> io_lib:format("error ~p~n", [E])
    end;
request(["restore", Path], _) ->
    %% leo_manager_mnesia:restore/1
    case mnesia:restore(Path, [{default_op, recreate_tables}]) of
        {atomic, _} -> "ok\n";
        {aborted, E} -> io_lib:format("error ~p~n", [E])
    end;
request(["dump", Path], _) ->
    %% nodetool rpc mnesia dump_to_textfile <path>
    captured(fun() -> mnesia:dump_to_textfile(Path) end);
request(["load", Path], _) ->
    %% nodetool rpc mnesia load_textfile <path>
    captured(fun() -> mnesia:load_textfile(Path) end);
request(["restart"], _) ->
    %% `leo_manager restart`: init:restart/0 keeps the OS process and
    %% boots every application again, this module included.
    spawn(fun() -> timer:sleep(50), init:restart() end),
    "ok\n";
request(Other, _) ->
    io_lib:format("error unknown request ~p~n", [Other]).

%% The answer is the function's result on the first line, then what it
%% printed on its group leader (nodetool prints it on its stdout).
captured(F) ->
    Cap = spawn(fun() -> capture([]) end),
    Self = self(),
    Worker = spawn(fun() ->
                           group_leader(Cap, self()),
                           R = (catch F()),
                           Cap ! {get, self()},
                           Out = receive {out, O} -> O end,
                           Self ! {done, self(), R, Out}
                   end),
    receive
        {done, Worker, R, Out} -> [io_lib:format("~w~n", [R]), Out]
    after 60000 -> "timeout\n"
    end.

capture(Acc) ->
    receive
        {io_request, From, Ref, Req} ->
            From ! {io_reply, Ref, ok},
            capture([io_chars(Req) | Acc]);
        {get, Pid} -> Pid ! {out, lists:reverse(Acc)}
    end.

io_chars({put_chars, _Enc, Chars}) -> Chars;
io_chars({put_chars, Chars}) -> Chars;
io_chars({put_chars, _Enc, M, F, A}) -> apply(M, F, A);
io_chars({put_chars, M, F, A}) -> apply(M, F, A);
io_chars(_) -> [].

recv_until_end(S, Acc) ->
    case gen_tcp:recv(S, 0, 10000) of
        {ok, B} ->
            case string:trim(binary_to_list(B), trailing, "\n") of
                "%% end" -> lists:reverse(Acc);
                L -> recv_until_end(S, [L | Acc])
            end;
        _ -> lists:reverse(Acc)
    end.

%% The schema's cookie tells copies of one schema from another.
cookie() ->
    C = mnesia:table_info(schema, cookie),
    lists:flatten([io_lib:format("~2.16.0b", [X]) || <<X>> <= binary:part(erlang:md5(term_to_binary(C)), 0, 6)]).

%% The manager's log/app files, as the shell model writes them (lib.sh node_log).
log(Level, Fun, Msg) ->
    Dir = arg(leofs_sim_nodedir),
    {{Y, Mo, D}, {H, Mi, S}} = calendar:universal_time(),
    Ts = io_lib:format("~4..0b-~2..0b-~2..0b ~2..0b:~2..0b:~2..0b +0000", [Y, Mo, D, H, Mi, S]),
    {Tag, File} = case Level of error -> {"[E]", "error"}; info -> {"[I]", "info"} end,
    _ = filelib:ensure_dir(filename:join([Dir, "log", "app", "x"])),
    _ = file:write_file(filename:join([Dir, "log", "app", File]),
                        [Tag, "\t", Ts, "\t", Fun, ": ", Msg, "\n"], [append]),
    ok.

%% ---------------------------------------------------------------- files, for leofs-sim mnesia-info
%% "empty", "ok", or "corrupt" when real Mnesia could not open a file:
%% schema.DAT is a dets file, the rest are disk_logs (mnesia_lib, mnesia_log).
check_files(Dir) ->
    case filelib:wildcard("*", Dir) of
        [] -> "empty";
        Files ->
            case lists:all(fun(F) -> opens(filename:join(Dir, F)) end, Files) of
                true -> "ok";
                false -> "corrupt"
            end
    end.

opens(F) ->
    case filename:extension(F) of
        ".DAT" ->
            case catch dets:open_file(make_ref(), [{file, F}, {access, read}, {repair, false}, {keypos, 2}]) of
                {ok, R} -> dets:close(R), true;
                %% a table file the running VM holds open is not closed yet: not garbled
                {error, {needs_repair, _}} -> true;
                _ -> false
            end;
        _ ->
            Name = make_ref(),
            case catch disk_log:open([{name, Name}, {file, F}, {mode, read_only}, {repair, false}]) of
                {ok, L} -> disk_log:close(L), true;
                {repaired, L, _, _} -> disk_log:close(L), true;
                {error, {need_repair, _}} -> true;
                _ -> false
            end
    end.
